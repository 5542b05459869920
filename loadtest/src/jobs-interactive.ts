import { setTimeout as delay } from 'node:timers/promises';
import {
  cancelJob,
  isActive,
  JOB_POLL_MS,
  type JobStatus,
  jobStatus,
  submitJob,
} from './job-client.js';
import {
  type JobsInteractive,
  formatCount as n,
  ratio,
  round,
  secondsSince as seconds,
} from './job-figures.js';
import { ndjsonUpload, uniqueRow } from './job-workload.js';
import type { JobCell } from './jobs-bench.js';
import { LatencyRecorder } from './latency-recorder.js';
import { closedLoop, post } from './request-loops.js';

const FAST_CONCURRENCY = 8;
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * jobs-interactive: fast at c=8 idle for the duration, then again from the upload of a big
 * intermediate job for the duration or until the job ends; each window's p99.
 */
export async function measureJobInteractive({
  options,
  agent,
  keys,
  failures,
  progress,
}: JobCell): Promise<JobsInteractive> {
  const url = new URL('/predict', options.url);
  let key = keys(3);
  const sendFast = () =>
    post(
      agent,
      url,
      options.headers,
      `{"model_name":"fast","input_data":[${uniqueRow(key++)}]}`,
      REQUEST_TIMEOUT_MS,
    );
  const upload = ndjsonUpload(keys(2), options.rows);

  progress.begin(1, 2, `jobs-interactive: fast c=${FAST_CONCURRENCY} idle`);
  const idle = new LatencyRecorder();
  let fastFailed = 0;
  const idleUntil = performance.now() + options.durationSeconds * 1000;
  await closedLoop(FAST_CONCURRENCY, idleUntil, sendFast, (r) => {
    if (r.status === 200) idle.record(r.ms);
    else fastFailed++;
    progress.step(`${n(idle.count)} requests`);
  });
  const idleP99 = idle.summary().p99;
  progress.end(`${idle.count} requests, p99 ${round(idleP99)} ms`);

  progress.begin(
    2,
    2,
    `jobs-interactive: fast c=${FAST_CONCURRENCY} beside a ${n(options.rows)}-row intermediate job`,
  );
  const loaded = new LatencyRecorder();
  const started = performance.now();
  const until = started + options.durationSeconds * 1000;
  let last: JobStatus | null = null;
  let windowOpen = true;
  // The window opens with the upload: the job's chunks are inferred as its rows stream in.
  const submitted = submitJob(options.url, options.headers, 'intermediate', upload);
  const watching = submitted.then(async (id) => {
    while (windowOpen && (last === null || isActive(last))) {
      last = (await jobStatus(options.url, options.headers, id)) ?? last;
      await delay(JOB_POLL_MS);
    }
  });
  watching.catch(() => {});
  await closedLoop(
    FAST_CONCURRENCY,
    () => performance.now() >= until || (last !== null && !isActive(last)),
    sendFast,
    (r) => {
      if (r.status === 200) loaded.record(r.ms);
      else fastFailed++;
      progress.step(
        `${n(loaded.count)} requests, job ${last?.status ?? 'uploading'} ${n(last?.rows_done ?? 0)} rows`,
      );
    },
  );
  const windowSeconds = seconds(started);
  windowOpen = false;
  const atClose = last as JobStatus | null;
  const loadedP99 = loaded.summary().p99;
  progress.end(`${loaded.count} requests in ${windowSeconds} s, p99 ${round(loadedP99)} ms`);

  if (fastFailed > 0) failures.push(`${fastFailed} of fast's 1-row requests failed`);
  // The job must not outlive its cell: the cells after it would be measured beside it.
  const id = await submitted.catch((err: unknown) => {
    failures.push(`the intermediate job was refused: ${String(err)}`);
    return null;
  });
  let finalStatus = 'refused';
  if (id !== null) {
    const now = await jobStatus(options.url, options.headers, id);
    finalStatus =
      now === null || isActive(now)
        ? (await cancelJob(options.url, options.headers, id)).status
        : now.status;
    if (finalStatus === 'failed' || finalStatus === 'expired') {
      failures.push(`the intermediate job ended ${finalStatus}: ${JSON.stringify(now?.error)}`);
    }
  }
  return {
    concurrency: FAST_CONCURRENCY,
    idle_requests: idle.count,
    idle_p99_ms: round(idleP99),
    loaded_requests: loaded.count,
    loaded_window_seconds: windowSeconds,
    loaded_p99_ms: round(loadedP99),
    p99_ratio: ratio(loadedP99, idleP99),
    job_ended_in_window: atClose !== null && !isActive(atClose),
    job_status_at_window_end: atClose?.status ?? 'uploading',
    job_rows_done_at_window_end: atClose?.rows_done ?? 0,
    job_rows: options.rows,
    job_final_status: finalStatus,
  };
}
