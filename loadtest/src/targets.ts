import { checkAuthTargets } from './auth-cells.js';
import type { ResultRow } from './results.js';

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | null; // null: the row it needs was not measured
  /** The machine's 1-minute load average when the row it judges was measured. */
  loadavg_1m: number | null;
}

const loadOf = (row: ResultRow | undefined): number | null => row?.loadavg_1m ?? null;

/** A verdict line for the terminal; a miss carries the load beside its figure. */
export function formatCheck(check: TargetCheck, cpus: number): string {
  const verdict = check.met === null ? 'n/a ' : check.met ? 'MET ' : 'MISS';
  const load =
    check.met === false && check.loadavg_1m !== null
      ? `   (load average ${check.loadavg_1m} on ${cpus} cores)`
      : '';
  return `${verdict}  ${check.target}: ${check.measured}${load}`;
}

/**
 * Said once under the verdicts when a target was missed: the targets describe the code on a quiet
 * machine, and a shared or small one misses them for its own reasons.
 */
export function missNote(loadavg: readonly number[], cpus: number): string {
  return (
    `A MISS compares this run with targets set on a quiet machine (nothing else running, ` +
    `see BENCHMARKS.md). This machine has ${cpus} cores and a load average of ` +
    `${loadavg.map((x) => x.toFixed(2)).join(', ')} (1, 5, 15 min): whatever else runs here takes ` +
    'CPU from the stack and the load generator. Rerun on a quiet machine before reading a MISS ' +
    'as a regression in the code.'
  );
}

const find = (rows: readonly ResultRow[], scenario: string, at: number | string) =>
  rows.find((r) => r.scenario === scenario && r.concurrency_or_rate === at);

/** Issue 6's targets against a run's rows. */
export function checkTargets(rows: readonly ResultRow[], openLoopRate = 350): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const uncached = find(rows, 'fast-uncached', 64);
  checks.push({
    target: 'fast uncached c64: ≥ 8,000 req/s, p99 ≤ 25 ms',
    measured: uncached ? `${uncached.rps.toFixed(0)} req/s, p99 ${uncached.p99_ms} ms` : 'not run',
    met: uncached ? uncached.rps >= 8000 && uncached.p99_ms <= 25 : null,
    loadavg_1m: loadOf(uncached),
  });
  const cached = rows.filter((r) => r.scenario === 'fast-cached').sort((a, b) => b.rps - a.rps)[0];
  checks.push({
    target: 'fast cached: ≥ 20,000 req/s',
    measured: cached
      ? `${cached.rps.toFixed(0)} req/s at c${cached.concurrency_or_rate}`
      : 'not run',
    met: cached ? cached.rps >= 20_000 : null,
    loadavg_1m: loadOf(cached),
  });
  const open = find(rows, 'fast-uncached-open-loop', `${openLoopRate}/s`);
  checks.push({
    target: `open loop ${openLoopRate} req/s: p50 ≤ 2 ms, p99 ≤ 5 ms`,
    measured: open ? `p50 ${open.p50_ms} ms, p99 ${open.p99_ms} ms` : 'not run',
    met: open ? open.p50_ms <= 2 && open.p99_ms <= 5 : null,
    loadavg_1m: loadOf(open),
  });
  // Judged where the worker is the bottleneck (32 rows per request); with 1-row requests the
  // gateway is, and the 1-row pair is reported beside it in the table.
  const two = rows.find((r) => r.scenario === 'slow-32rows-2-workers');
  checks.push({
    target: 'slow (32 rows per request): 2 workers ≥ 1.6 × 1 worker',
    measured: two?.speedup_vs_1_worker !== undefined ? `${two.speedup_vs_1_worker} ×` : 'not run',
    met: two?.speedup_vs_1_worker !== undefined ? two.speedup_vs_1_worker >= 1.6 : null,
    loadavg_1m: loadOf(two),
  });
  checks.push(...checkAuthTargets(rows));
  const errors = rows.reduce((sum, r) => sum + r.errors, 0);
  checks.push({
    target: 'zero errors in every scenario',
    measured: `${errors} errors over ${rows.length} cells`,
    met: rows.length > 0 ? errors === 0 : null,
    loadavg_1m: loadOf(rows.at(-1)),
  });
  return checks;
}
