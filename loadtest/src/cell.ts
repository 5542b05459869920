import type { ModelShape } from '../k6/lib/payloads.js';
import type { LatencySummary } from './latency-recorder.js';
import type { Workload } from './workload.js';

/** One measurement: a workload at one concurrency (closed loop) or one rate (open loop). */
export interface CellSpec {
  scenario: string;
  mode: 'closed' | 'open';
  /** Closed loop: connections each with one request outstanding. Open loop: the socket cap. */
  connections: number;
  /** Open loop only: requests per second, sent on schedule whether or not replies came back. */
  rate: number | null;
  durationSeconds: number;
  warmupSeconds: number;
  url: string;
  headers: Readonly<Record<string, string>>;
  workload: Workload;
  shapes: Readonly<Record<string, ModelShape>>;
  salt: number;
  /** Per-request timeout; a timed-out request counts as an error. */
  timeoutSeconds: number;
}

export interface CellResult {
  scenario: string;
  mode: 'closed' | 'open';
  connections: number;
  rate: number | null;
  elapsedSeconds: number;
  /** 2xx responses. */
  ok: number;
  non2xx: number;
  socketErrors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Latency of 2xx responses. Open loop: from the scheduled send time (no coordinated omission). */
  latency: LatencySummary;
  /** Open loop only: from the actual send time, to show how much generator lag was included. */
  sendLatency: LatencySummary | null;
  /** The load generator's own CPU over the measured phase, in % of one core. */
  generatorCpuPercent: number;
}

export interface Progress {
  phase: 'warmup' | 'measure';
  elapsedMs: number;
  completed: number;
}

/** Messages from the load-generator process to the harness. */
export type RunnerMessage =
  | { type: 'progress'; progress: Progress }
  | { type: 'result'; result: CellResult }
  | { type: 'error'; message: string };

/** The one message the harness sends the load-generator process. */
export interface RunnerRequest {
  type: 'run';
  cell: CellSpec;
}
