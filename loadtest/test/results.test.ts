import t from 'tap';
import type { CellResult } from '../src/cell.js';
import { renderChart } from '../src/chart.js';
import { addWorkerSpeedup, formatTable, toRow } from '../src/results.js';
import { checkTargets } from '../src/targets.js';

function result(overrides: Partial<CellResult>): CellResult {
  return {
    scenario: 'fast-uncached',
    mode: 'closed',
    connections: 64,
    rate: null,
    elapsedSeconds: 10,
    ok: 90_000,
    non2xx: 0,
    socketErrors: 0,
    timeouts: 0,
    statusCodes: { 200: 90_000 },
    latency: { count: 90_000, p50: 6, p95: 12, p99: 20, max: 40 },
    sendLatency: null,
    generatorCpuPercent: 50,
    ...overrides,
  };
}

t.test('a row carries rps, percentiles and errors from every source', async (t) => {
  const row = toRow(result({ non2xx: 3, socketErrors: 2, timeouts: 1 }));
  t.equal(row.rps, 9000);
  t.equal(row.concurrency_or_rate, 64);
  t.equal(row.errors, 6);
  t.same([row.p50_ms, row.p95_ms, row.p99_ms], [6, 12, 20]);
});

t.test(
  'an open-loop row is labelled by its rate and keeps the send-time percentiles',
  async (t) => {
    const row = toRow(
      result({
        scenario: 'fast-uncached-open-loop',
        mode: 'open',
        rate: 350,
        sendLatency: { count: 3500, p50: 0.9, p95: 1.5, p99: 2.5, max: 4 },
      }),
    );
    t.equal(row.concurrency_or_rate, '350/s');
    t.equal(row.send_p99_ms, 2.5);
  },
);

t.test('each 2-worker row gets its speed-up over its own 1-worker row', async (t) => {
  const rows = [
    toRow(result({ scenario: 'slow-uncached-1-worker', ok: 1000 })),
    toRow(result({ scenario: 'slow-32rows-1-worker', ok: 400 })),
    toRow(result({ scenario: 'slow-uncached-2-workers', ok: 1100 })),
    toRow(result({ scenario: 'slow-32rows-2-workers', ok: 700 })),
  ];
  addWorkerSpeedup(rows);
  t.equal(rows[2]?.speedup_vs_1_worker, 1.1);
  t.equal(rows[3]?.speedup_vs_1_worker, 1.75);
  t.equal(rows[0]?.speedup_vs_1_worker, undefined);
});

t.test('targets are judged met, missed, or not run', async (t) => {
  const rows = [
    toRow(result({})),
    toRow(result({ scenario: 'fast-cached', ok: 250_000 })),
    toRow(
      result({
        scenario: 'fast-uncached-open-loop',
        mode: 'open',
        rate: 350,
        latency: { count: 3500, p50: 1.2, p95: 3, p99: 6, max: 9 },
      }),
    ),
  ];
  const checks = checkTargets(rows);
  t.same(
    checks.map((c) => c.met),
    [true, true, false, null, null, null, true],
  );
});

t.test('the auth pair is judged on its keys cell over its off twin', async (t) => {
  const rows = [
    toRow(result({ scenario: 'fast-cached-auth-off', ok: 200_000 })),
    toRow(result({ scenario: 'fast-cached-auth-keys', ok: 181_000 })),
    toRow(result({ scenario: 'fast-uncached-auth-off', ok: 100_000 })),
    toRow(result({ scenario: 'fast-uncached-auth-keys', ok: 89_000 })),
  ];
  const checks = checkTargets(rows).filter((c) => c.target.includes('API keys'));
  t.equal(checks.length, 2);
  t.same(
    checks.map((c) => c.met),
    [true, false],
    '0.905 × meets 0.90, 0.89 × misses it',
  );
  t.match(checks[1]?.measured, /^0\.890 × /);
});

t.test('an auth pair of several rounds is judged on the means', async (t) => {
  const rows = [
    toRow(result({ scenario: 'fast-cached-auth-off', ok: 200_000 })),
    toRow(result({ scenario: 'fast-cached-auth-keys', ok: 170_000 })),
    toRow(result({ scenario: 'fast-cached-auth-keys#2', ok: 190_000 })),
    toRow(result({ scenario: 'fast-cached-auth-off#2', ok: 200_000 })),
  ];
  const [cached] = checkTargets(rows).filter((c) => c.target.includes('API keys'));
  t.equal(cached?.met, true, '(170k + 190k) / 2 over 200k: 0.90 ×');
  t.match(cached?.measured, /^0\.900 × .*mean of 2 rounds/);
});

t.test('the table and the chart include every scenario', async (t) => {
  const rows = [
    toRow(result({ connections: 1, ok: 5000 })),
    toRow(result({})),
    toRow(result({ scenario: 'fast-cached<&>', ok: 200_000 })),
  ];
  const table = formatTable(rows);
  t.equal(table.split('\n').length, 5);
  const svg = renderChart(rows, 'test chart');
  t.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  t.match(svg, /fast-cached&lt;&amp;&gt;/);
  t.equal((svg.match(/<circle /g) ?? []).length, 3 + 1, 'one p50 marker per row plus the key');
  t.ok(svg.trimEnd().endsWith('</svg>'));
});
