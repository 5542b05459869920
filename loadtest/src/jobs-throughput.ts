import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countResultRows, followJob, JOB_POLL_MS, submitJob } from './job-client.js';
import {
  type InProcessFigure,
  type JobsThroughput,
  formatCount as n,
  ratio,
  secondsSince as seconds,
} from './job-figures.js';
import { ndjsonUpload, predictBodies } from './job-workload.js';
import type { JobCell } from './jobs-bench.js';
import { closedLoop, post } from './request-loops.js';

const SYNC_ROWS = 1024;
const SYNC_CONCURRENCY = 4;
const REQUEST_TIMEOUT_MS = 30_000;
/** A job whose rows done stand still this long is stuck: the run fails rather than hangs. */
const STALL_MS = 60_000;
/** The committed results of `pnpm bench:models`, the in-process figure a job is set against. */
const MODELS_RESULTS = join('bench-results', 'models.json');

/**
 * jobs-throughput: one job of `rows` rows on fast, upload to `succeeded`, then the obvious
 * client loop on as many rows, 1,024-row `/predict` requests at c=4; rows/s of each.
 */
export async function measureJobThroughput(
  { options, agent, keys, failures, progress }: JobCell,
  root: string,
): Promise<JobsThroughput> {
  progress.note(
    `jobs-throughput: generating ${n(options.rows)} rows twice (job upload, sync bodies)`,
  );
  // Built before either clock starts: neither side pays for making its inputs.
  const upload = ndjsonUpload(keys(0), options.rows);
  const bodies = predictBodies('fast', keys(1), options.rows, SYNC_ROWS);

  progress.begin(1, 2, `jobs-throughput: job of ${n(options.rows)} rows on fast`);
  const started = performance.now();
  // The 202 comes once every row is read and published: say how long the upload has taken.
  const ticker = setInterval(() => progress.step(`uploading, ${seconds(started)} s`), 1000);
  const id = await submitJob(options.url, options.headers, 'fast', upload).finally(() =>
    clearInterval(ticker),
  );
  const uploadSeconds = seconds(started);
  const final = await followJob(options.url, options.headers, id, {
    pollMs: JOB_POLL_MS,
    stallMs: STALL_MS,
    onStatus: (s) => progress.step(`${s.status} ${n(s.rows_done)}/${n(options.rows)} rows`),
  });
  const jobSeconds = seconds(started);
  let resultRows: number | null = null;
  if (final.status === 'succeeded') {
    resultRows = await countResultRows(options.url, options.headers, id);
    if (resultRows !== options.rows) {
      failures.push(
        `the fast job's result has ${n(resultRows)} rows; it was sent ${n(options.rows)}`,
      );
    }
  } else {
    failures.push(`the fast job ended ${final.status}: ${JSON.stringify(final.error)}`);
  }
  const jobRate = final.status === 'succeeded' ? options.rows / jobSeconds : 0;
  progress.end(`${final.status} in ${jobSeconds} s = ${n(jobRate)} rows/s`);

  progress.begin(2, 2, `jobs-throughput: ${SYNC_ROWS}-row /predict at c=${SYNC_CONCURRENCY}`);
  const url = new URL('/predict', options.url);
  let next = 0;
  let rowsServed = 0;
  let failed = 0;
  const statuses = new Set<number>();
  const syncStarted = performance.now();
  await closedLoop(
    SYNC_CONCURRENCY,
    () => next >= bodies.length,
    async () => {
      const { body, rows } = bodies[next++] as { body: string; rows: number };
      const reply = await post(agent, url, options.headers, body, REQUEST_TIMEOUT_MS);
      if (reply.status === 200) rowsServed += rows;
      else {
        failed++;
        statuses.add(reply.status);
      }
      return reply;
    },
    () => progress.step(`${n(rowsServed)}/${n(options.rows)} rows`),
  );
  const syncSeconds = seconds(syncStarted);
  if (failed > 0) {
    failures.push(`${failed} sync /predict requests failed (statuses ${[...statuses].join(', ')})`);
  }
  const syncRate = rowsServed / syncSeconds;
  progress.end(`${syncSeconds} s = ${n(syncRate)} rows/s, ${failed} failed`);

  const inProcess = readInProcess(root);
  return {
    rows: options.rows,
    job_seconds: jobSeconds,
    job_upload_seconds: uploadSeconds,
    job_rows_per_s: Math.round(jobRate),
    job_status: final.status,
    result_rows: resultRows,
    sync_rows_per_request: SYNC_ROWS,
    sync_concurrency: SYNC_CONCURRENCY,
    sync_seconds: syncSeconds,
    sync_rows_per_s: Math.round(syncRate),
    sync_failed_requests: failed,
    job_vs_sync: ratio(jobRate, syncRate),
    in_process: inProcess,
    job_vs_in_process: inProcess === null ? null : ratio(jobRate, inProcess.rows_per_s),
  };
}

/**
 * fast's in-process rows/s as `pnpm bench:models` measured it (session.run of 64 rows, one
 * intra-op thread), read from its committed results rather than measured again here.
 */
function readInProcess(root: string): InProcessFigure | null {
  const file = join(root, MODELS_RESULTS);
  if (!existsSync(file)) return null;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as {
    generatedAt?: string;
    inProcess?: { models?: { fast?: { usPerRow?: number } } };
  };
  const usPerRow = saved.inProcess?.models?.fast?.usPerRow;
  if (typeof usPerRow !== 'number' || usPerRow <= 0) return null;
  return {
    rows_per_s: Math.round(1e6 / usPerRow),
    source: MODELS_RESULTS,
    generated_at: saved.generatedAt ?? 'unknown',
  };
}
