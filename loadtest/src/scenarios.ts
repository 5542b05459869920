import type { AuthProfile } from './auth-cells.js';
import type { BenchOptions } from './options.js';
import type { Workload } from './workload.js';

/** A cell of the benchmark matrix before it is bound to a stack and a duration. */
export interface PlannedCell {
  scenario: string;
  mode: 'closed' | 'open';
  connections: number;
  rate: number | null;
  workload: Workload;
  /** Slow-model workers the stack must run for this cell; null: whatever it has. */
  slowWorkers: 1 | 2 | null;
  /**
   * Run with fast at two versions (models/fast as "1", models/v2/fast as "2", one worker each)
   * under this traffic policy for fast; null: no policy (shares by live workers). Absent: fast
   * as it is.
   */
  fastPolicy?: object | null;
  /** Run against one of issue 10's pair of gateways (auth-cells.ts); absent: the usual one. */
  auth?: AuthProfile;
}

// The open loop may need more sockets than its rate × latency; 64 covers 350 req/s up to ~180 ms.
const OPEN_LOOP_SOCKETS = 64;
const MODEL_CONCURRENCY = 64;
// The worker-scaling cells send this many rows per request. With one row per request the gateway
// coalesces 64 callers into a few messages and one slow worker idles at about half a core, so a
// second worker has nothing to add; 32 rows make the model's compute the bottleneck, which is
// what adding a worker is for.
const SCALING_ROWS = 32;
// Sticky callers (x-session-id) in the version cells: enough that a 10% share is 10% of requests.
const VERSION_CALLERS = 1000;

/**
 * The scenarios of issue 6, in run order. The slow 2-worker cell comes last because adding a
 * worker cannot be undone without disturbing the cells after it.
 */
export function planCells(
  options: Readonly<BenchOptions>,
  canScaleWorkers: boolean,
): PlannedCell[] {
  const closed = (
    scenario: string,
    connections: number,
    workload: Workload,
    slowWorkers: 1 | 2 | null = null,
  ): PlannedCell => ({ scenario, mode: 'closed', connections, rate: null, workload, slowWorkers });
  const fastUnique: Workload = { kind: 'unique', model: 'fast', route: 'predict' };
  const fastFixed: Workload = { kind: 'fixed', model: 'fast', route: 'predict' };

  const cells: PlannedCell[] = [
    ...options.concurrencies.map((c) => closed('fast-uncached', c, fastUnique)),
    {
      scenario: 'fast-uncached-open-loop',
      mode: 'open',
      connections: OPEN_LOOP_SOCKETS,
      rate: options.openLoopRate,
      workload: fastUnique,
      slowWorkers: null,
    },
    ...options.concurrencies.map((c) => closed('fast-cached', c, fastFixed)),
    closed('intermediate-uncached', MODEL_CONCURRENCY, {
      kind: 'unique',
      model: 'intermediate',
      route: 'predict',
    }),
    closed('fast-uncached-v1', MODEL_CONCURRENCY, { kind: 'unique', model: 'fast', route: 'v1' }),
    closed('fast-uncached-v2', MODEL_CONCURRENCY, { kind: 'unique', model: 'fast', route: 'v2' }),
    closed('mixed-3-2-1-uncached', MODEL_CONCURRENCY, { kind: 'mixed' }),
  ];
  if (canScaleWorkers) {
    // Issue 10: API keys plus per-key limits against neither, each pair back to back on one
    // Redis store. Before the version cells, while fast has one version.
    for (const [base, workload] of [
      ['fast-cached', fastFixed],
      ['fast-uncached', fastUnique],
    ] as const) {
      for (let round = 1; round <= options.pairRounds; round++) {
        const order = round % 2 === 1 ? (['off', 'keys'] as const) : (['keys', 'off'] as const);
        for (const auth of order) {
          const scenario = `${base}-auth-${auth}${round === 1 ? '' : `#${round}`}`;
          cells.push({ ...closed(scenario, MODEL_CONCURRENCY, workload), auth });
        }
      }
    }
    // Issue 11: the cost of a traffic split and of shadow traffic, on equal terms: the same two
    // workers in every cell, requests spread over 1,000 sticky callers.
    const versioned = (scenario: string, fastPolicy: object | null): PlannedCell => ({
      ...closed(scenario, MODEL_CONCURRENCY, { ...fastUnique, sessions: VERSION_CALLERS }),
      fastPolicy,
    });
    cells.push(
      versioned('fast-2-versions-no-policy', null),
      versioned('fast-2-versions-90-10', { weights: { '1': 90, '2': 10 } }),
      versioned('fast-2-versions-shadow-10', {
        weights: { '1': 100, '2': 0 },
        shadow: { version: '2', percent: 10 },
      }),
    );
  }
  cells.push(
    closed(
      canScaleWorkers ? 'slow-uncached-1-worker' : 'slow-uncached',
      MODEL_CONCURRENCY,
      { kind: 'unique', model: 'slow', route: 'predict' },
      canScaleWorkers ? 1 : null,
    ),
  );
  if (canScaleWorkers) {
    const slowBulk: Workload = {
      kind: 'unique',
      model: 'slow',
      route: 'predict',
      rows: SCALING_ROWS,
    };
    cells.push(
      closed('slow-32rows-1-worker', MODEL_CONCURRENCY, slowBulk, 1),
      closed(
        'slow-uncached-2-workers',
        MODEL_CONCURRENCY,
        { kind: 'unique', model: 'slow', route: 'predict' },
        2,
      ),
      closed('slow-32rows-2-workers', MODEL_CONCURRENCY, slowBulk, 2),
    );
  }
  if (options.only.length === 0) return cells;
  const patterns = options.only.map((s) => new RegExp(s));
  return cells.filter((cell) => patterns.some((p) => p.test(cell.scenario)));
}
