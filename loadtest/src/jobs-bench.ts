import { Agent } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { type JobsResult, round } from './job-figures.js';
import { measureJobInteractive } from './jobs-interactive.js';
import { measureJobThroughput } from './jobs-throughput.js';
import type { ProgressLine } from './progress.js';

/**
 * The jobs cells (the issue "Jobs: asynchronous and bulk inference"): a job's rows/s against
 * the obvious client loop of synchronous requests on the same number of rows, and fast's p99
 * while a big job runs on another model against its p99 idle just before.
 */
export interface JobsOptions {
  url: string;
  headers: Readonly<Record<string, string>>;
  /** The interactive windows' length. */
  durationSeconds: number;
  /** Rows per job (and of the sync loop). */
  rows: number;
  /** Unique inputs per run, so nothing is answered from the cache. */
  salt: number;
  /** The repository root, where `pnpm bench:models` keeps its results. */
  root: string;
  throughput: boolean;
  interactive: boolean;
}

/** What each jobs cell works with. */
export interface JobCell {
  options: Readonly<JobsOptions>;
  /** One keep-alive agent for every request of the cells. */
  agent: Agent;
  /** The first key of region 0..3: the two jobs, the sync loop, fast's 1-row calls. */
  keys: (region: number) => number;
  /** Wrong answers and errors found, for JobsResult.failures. */
  failures: string[];
  progress: ProgressLine;
}

export async function runJobs(options: JobsOptions, progress: ProgressLine): Promise<JobsResult> {
  const cell: JobCell = {
    options,
    agent: new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY }),
    // Regions a job's length apart, so no row of one is a row of another.
    keys: (region: number) => options.salt + region * options.rows,
    failures: [],
    progress,
  };
  try {
    const throughput = options.throughput ? await measureJobThroughput(cell, options.root) : null;
    const interactive = options.interactive ? await measureJobInteractive(cell) : null;
    return {
      throughput,
      interactive,
      failures: cell.failures,
      loadavg_1m: round(loadavg()[0] ?? 0, 2),
      cpus: cpus().length,
    };
  } finally {
    cell.agent.destroy();
  }
}
