import type { ResultRow } from './results.js';

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | null; // null: the row it needs was not measured
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
  });
  const cached = rows.filter((r) => r.scenario === 'fast-cached').sort((a, b) => b.rps - a.rps)[0];
  checks.push({
    target: 'fast cached: ≥ 20,000 req/s',
    measured: cached
      ? `${cached.rps.toFixed(0)} req/s at c${cached.concurrency_or_rate}`
      : 'not run',
    met: cached ? cached.rps >= 20_000 : null,
  });
  const open = find(rows, 'fast-uncached-open-loop', `${openLoopRate}/s`);
  checks.push({
    target: `open loop ${openLoopRate} req/s: p50 ≤ 2 ms, p99 ≤ 5 ms`,
    measured: open ? `p50 ${open.p50_ms} ms, p99 ${open.p99_ms} ms` : 'not run',
    met: open ? open.p50_ms <= 2 && open.p99_ms <= 5 : null,
  });
  // Judged where the worker is the bottleneck (32 rows per request); with 1-row requests the
  // gateway is, and the 1-row pair is reported beside it in the table.
  const two = rows.find((r) => r.scenario === 'slow-32rows-2-workers');
  checks.push({
    target: 'slow (32 rows per request): 2 workers ≥ 1.6 × 1 worker',
    measured: two?.speedup_vs_1_worker !== undefined ? `${two.speedup_vs_1_worker} ×` : 'not run',
    met: two?.speedup_vs_1_worker !== undefined ? two.speedup_vs_1_worker >= 1.6 : null,
  });
  const errors = rows.reduce((sum, r) => sum + r.errors, 0);
  checks.push({
    target: 'zero errors in every scenario',
    measured: `${errors} errors over ${rows.length} cells`,
    met: rows.length > 0 ? errors === 0 : null,
  });
  return checks;
}
