/**
 * The jobs cells' figures, their targets (the issue's), and how they print. Pure: the
 * measuring is in jobs-bench.ts.
 */
export interface InProcessFigure {
  rows_per_s: number;
  /** The file `pnpm bench:models` wrote, and when it measured. */
  source: string;
  generated_at: string;
}

export interface JobsThroughput {
  rows: number;
  /** Upload start to the status poll that saw `succeeded`. */
  job_seconds: number;
  /** Upload start to the 202 (chunks are inferred while the rows stream in). */
  job_upload_seconds: number;
  job_rows_per_s: number;
  job_status: string;
  result_rows: number | null;
  sync_rows_per_request: number;
  sync_concurrency: number;
  sync_seconds: number;
  sync_rows_per_s: number;
  sync_failed_requests: number;
  job_vs_sync: number | null;
  in_process: InProcessFigure | null;
  job_vs_in_process: number | null;
}

export interface JobsInteractive {
  concurrency: number;
  idle_requests: number;
  idle_p99_ms: number;
  /** The window opens as the upload starts: a job runs while its rows stream in. */
  loaded_requests: number;
  loaded_window_seconds: number;
  loaded_p99_ms: number;
  p99_ratio: number | null;
  /** The job ended before the window's duration: the window was cut short. */
  job_ended_in_window: boolean;
  job_status_at_window_end: string;
  job_rows_done_at_window_end: number;
  job_rows: number;
  /** As the cell left it: `canceled` by the cell, or ended by itself. */
  job_final_status: string;
}

export interface JobsResult {
  throughput: JobsThroughput | null;
  interactive: JobsInteractive | null;
  /** Wrong answers or errors, each a sentence: a run with any is a failed run. */
  failures: string[];
  loadavg_1m: number;
  cpus: number;
}

/** The issue's targets: a job no slower than the obvious loop; interactive p99 at most 3x idle. */
export const JOB_TARGETS = Object.freeze({ jobVsSyncMin: 1.0, interactiveP99RatioMax: 3 });

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
/** 1234567 → "1,234,567". */
export const formatCount = (x: number) => Math.round(x).toLocaleString('en-US');
/** Seconds since a performance.now() reading, to the hundredth. */
export const secondsSince = (since: number) => round((performance.now() - since) / 1000, 2);

/** a / b to two decimals; null when b is not a positive figure. */
export function ratio(a: number, b: number): number | null {
  return b > 0 && Number.isFinite(a) ? round(a / b, 2) : null;
}

/** met / MISSED / 'not measured' for a ratio against its bound. */
export function verdict(value: number | null, bound: number, kind: 'min' | 'max'): string {
  if (value === null) return 'not measured';
  return (kind === 'min' ? value >= bound : value <= bound) ? 'met' : 'MISSED';
}

/** The figures against the issue's targets, one line each. */
export function formatJobs(r: JobsResult): string {
  const lines = [`jobs (load average ${r.loadavg_1m} on ${r.cpus} cores):`];
  const n = formatCount;
  const t = r.throughput;
  if (t !== null) {
    lines.push(
      `  job of ${n(t.rows)} rows on fast: ${t.job_status} in ${t.job_seconds} s (upload ${t.job_upload_seconds} s) = ${n(t.job_rows_per_s)} rows/s; result ${t.result_rows === null ? 'not fetched' : `${n(t.result_rows)} rows`}`,
      `  sync loop, ${t.sync_rows_per_request}-row /predict at c=${t.sync_concurrency}: ${t.sync_seconds} s = ${n(t.sync_rows_per_s)} rows/s (${t.sync_failed_requests} failed requests)`,
      `  job/sync ${t.job_vs_sync ?? '?'}x (target >= ${JOB_TARGETS.jobVsSyncMin}x: ${verdict(t.job_vs_sync, JOB_TARGETS.jobVsSyncMin, 'min')})`,
      t.in_process === null
        ? '  in-process ONNX rows/s: not available (no bench-results/models.json)'
        : `  job/in-process ONNX ${t.job_vs_in_process}x (${n(t.in_process.rows_per_s)} rows/s, ${t.in_process.source} of ${t.in_process.generated_at})`,
    );
  }
  const i = r.interactive;
  if (i !== null) {
    const cut = i.job_ended_in_window
      ? `; the job ended (${i.job_status_at_window_end}) after ${i.loaded_window_seconds} s, cutting the window short`
      : `; job ${i.job_status_at_window_end} at ${n(i.job_rows_done_at_window_end)}/${n(i.job_rows)} rows when the window closed, then ${i.job_final_status}`;
    lines.push(
      `  fast c=${i.concurrency} p99 ${i.loaded_p99_ms} ms beside a ${n(i.job_rows)}-row intermediate job vs ${i.idle_p99_ms} ms idle = ${i.p99_ratio ?? '?'}x (target <= ${JOB_TARGETS.interactiveP99RatioMax}x: ${verdict(i.p99_ratio, JOB_TARGETS.interactiveP99RatioMax, 'max')})${cut}`,
    );
  }
  for (const f of r.failures) lines.push(`  FAILURE: ${f}`);
  return lines.join('\n');
}
