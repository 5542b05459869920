import type { CellResult } from './cell.js';

/** One row of bench-results/http.json. */
export interface ResultRow {
  scenario: string;
  /** Closed loop: the concurrency (a number). Open loop: the rate, as "350/s". */
  concurrency_or_rate: number | string;
  /** Successful (2xx) requests per second. */
  rps: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  /** Non-2xx responses + socket errors + timeouts. */
  errors: number;
  mode: 'closed' | 'open';
  requests: number;
  max_ms: number;
  /** Open loop: p50/p99 from the actual send time (the headline figures are from the schedule). */
  send_p50_ms?: number;
  send_p99_ms?: number;
  /** Set on the slow 2-worker row: its rps over the 1-worker row's. */
  speedup_vs_1_worker?: number;
  status_codes: Record<string, number>;
  /**
   * CPU per process while the cell ran (warm-up included for the stack; the load generator's
   * measured phase only), in % of one core. The machine has nproc × 100.
   */
  cpu_percent?: Record<string, number>;
  /** The same, as CPU microseconds per successful request: what each request costs, and where. */
  cpu_us_per_request?: Record<string, number>;
  /** The machine's 1-minute load average as the cell ended: CPU others were using matters. */
  loadavg_1m?: number;
}

const round = (x: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export function toRow(result: CellResult): ResultRow {
  const row: ResultRow = {
    scenario: result.scenario,
    concurrency_or_rate: result.mode === 'open' ? `${result.rate}/s` : result.connections,
    rps: round(result.ok / result.elapsedSeconds, 1),
    p50_ms: round(result.latency.p50, 3),
    p95_ms: round(result.latency.p95, 3),
    p99_ms: round(result.latency.p99, 3),
    errors: result.non2xx + result.socketErrors + result.timeouts,
    mode: result.mode,
    requests: result.ok + result.non2xx,
    max_ms: round(result.latency.max, 3),
    status_codes: result.statusCodes,
    cpu_percent: { loadgen: result.generatorCpuPercent },
  };
  if (result.sendLatency !== null) {
    row.send_p50_ms = round(result.sendLatency.p50, 3);
    row.send_p99_ms = round(result.sendLatency.p99, 3);
  }
  return row;
}

/** Gives every "<x>-2-workers" row its speed-up over the "<x>-1-worker" row, when both ran. */
export function addWorkerSpeedup(rows: ResultRow[]): void {
  for (const two of rows) {
    if (!two.scenario.endsWith('-2-workers')) continue;
    const oneName = `${two.scenario.slice(0, -'-2-workers'.length)}-1-worker`;
    const one = rows.find((r) => r.scenario === oneName);
    if (one !== undefined && one.rps > 0) two.speedup_vs_1_worker = round(two.rps / one.rps, 2);
  }
}

/** A plain-text table of the rows, for the terminal and BENCHMARKS.md. */
export function formatTable(rows: readonly ResultRow[]): string {
  const header = ['scenario', 'c / rate', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors'];
  const lines = rows.map((r) => [
    r.scenario,
    String(r.concurrency_or_rate),
    r.rps.toFixed(0),
    r.p50_ms.toFixed(2),
    r.p95_ms.toFixed(2),
    r.p99_ms.toFixed(2),
    String(r.errors),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [fmt(header), rule, ...lines.map(fmt)].join('\n');
}
