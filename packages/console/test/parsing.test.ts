import t from 'tap';
import { parseRows } from '../src/rows.js';
import { applyTick, type StatsSnapshot } from '../src/stats.js';
import { dailyUsage } from '../src/usage.js';

t.test(
  'pasted rows: CSV lines, a header, JSON, a flat row; mistakes name their line',
  async (t) => {
    t.same(parseRows('5.1, 3.5, 1.4, 0.2\n6.7;3.0;5.2;2.3\n\n'), [
      [5.1, 3.5, 1.4, 0.2],
      [6.7, 3, 5.2, 2.3],
    ]);
    t.same(parseRows('a,b,c,d\n1 2 3 4'), [[1, 2, 3, 4]], 'a header line is skipped');
    t.same(parseRows('[[1,2],[3,4]]'), [
      [1, 2],
      [3, 4],
    ]);
    t.same(parseRows('[1,2,3,4]'), [[1, 2, 3, 4]], 'one flat JSON row');
    t.throws(() => parseRows(''), /at least one row/);
    t.throws(() => parseRows('1,2\n3,x'), /Line 2/);
    t.throws(() => parseRows('[[1,2],[3,"4"]]'), /Row 2/);
    t.throws(() => parseRows('[[1,2'), /not valid JSON/);
  },
);

t.test('usage per key per day reads a flat list or per-key lists of days', async (t) => {
  t.same(
    dailyUsage({
      usage: [
        { key_id: 'k1', day: '2026-01-02', rows: 5 },
        { key_id: 'k2', date: '2026-01-02T00:00:00Z', rows_used: 7 },
        { nonsense: true },
      ],
    }),
    [
      { key: 'k1', day: '2026-01-02', rows: 5 },
      { key: 'k2', day: '2026-01-02', rows: 7 },
    ],
  );
  t.same(dailyUsage({ keys: [{ id: 'k3', days: [{ day: '2026-01-03', rows: 2 }] }] }), [
    { key: 'k3', day: '2026-01-03', rows: 2 },
  ]);
  t.same(dailyUsage(null), []);
});

t.test('a stats tick appends to the held history, bounded, and drops gone series', async (t) => {
  const point = (t0: number, requests: number) => ({
    t: t0,
    requests,
    errors: 0,
    rejected: 0,
    cache_hits: 0,
    p50_ms: null,
    p95_ms: null,
    p99_ms: null,
    workers: 1,
    queue_depth: 0,
  });
  const summary = {
    window_ms: 2000,
    requests: 0,
    request_rate: 0,
    error_rate: null,
    cache_hit_ratio: null,
    p50_ms: null,
    p95_ms: null,
    p99_ms: null,
  };
  const series = (model: string, points: ReturnType<typeof point>[]) => ({
    model_name: model,
    model_version: '1',
    workers: 1,
    queue_depth: 0,
    summary,
    points,
  });
  const snap = (s: ReturnType<typeof series>[]): StatsSnapshot => ({
    instance: 'gw',
    interval_ms: 1000,
    history_ms: 2000,
    now: 0,
    series: s,
  });
  const held = snap([series('a', [point(1, 1), point(2, 2)]), series('b', [point(1, 1)])]);
  const next = applyTick(held, snap([series('a', [point(3, 3)]), series('c', [point(3, 9)])]));
  t.same(
    next.series.map((s) => [s.model_name, s.points.map((p) => p.t)]),
    [
      ['a', [2, 3]],
      ['c', [3]],
    ],
  );
});
