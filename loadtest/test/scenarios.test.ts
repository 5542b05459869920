import t from 'tap';
import { normalizeOptions } from '../src/options.js';
import { planCells } from '../src/scenarios.js';

t.test('the full matrix covers every scenario of the issue, slow 2-worker last', async (t) => {
  const cells = planCells(normalizeOptions(), true);
  const names = cells.map(
    (c) => `${c.scenario}@${c.mode === 'open' ? `${c.rate}/s` : c.connections}`,
  );
  t.same(names, [
    'fast-uncached@1',
    'fast-uncached@64',
    'fast-uncached@256',
    'fast-uncached-open-loop@350/s',
    'fast-cached@1',
    'fast-cached@64',
    'fast-cached@256',
    'intermediate-uncached@64',
    'fast-uncached-v1@64',
    'fast-uncached-v2@64',
    'mixed-3-2-1-uncached@64',
    'fast-cached-auth-off@64',
    'fast-cached-auth-keys@64',
    'fast-uncached-auth-off@64',
    'fast-uncached-auth-keys@64',
    'fast-2-versions-no-policy@64',
    'fast-2-versions-90-10@64',
    'fast-2-versions-shadow-10@64',
    'slow-uncached-1-worker@64',
    'slow-32rows-1-worker@64',
    'slow-uncached-2-workers@64',
    'slow-32rows-2-workers@64',
  ]);
  t.same(
    cells.map((c) => c.slowWorkers),
    [
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      1,
      1,
      2,
      2,
    ],
  );
  t.same(
    cells.filter((c) => c.fastPolicy !== undefined).map((c) => c.fastPolicy),
    [
      null,
      { weights: { '1': 90, '2': 10 } },
      { weights: { '1': 100, '2': 0 }, shadow: { version: '2', percent: 10 } },
    ],
    'the version cells: no policy, a 90/10 split, 10% shadow',
  );
  t.same(
    cells.filter((c) => c.auth !== undefined).map((c) => [c.scenario, c.auth, c.workload.kind]),
    [
      ['fast-cached-auth-off', 'off', 'fixed'],
      ['fast-cached-auth-keys', 'keys', 'fixed'],
      ['fast-uncached-auth-off', 'off', 'unique'],
      ['fast-uncached-auth-keys', 'keys', 'unique'],
    ],
    'the auth pairs: each off cell just before its keys twin, on the same workload',
  );
});

t.test('pair rounds repeat each auth pair in A-B-B-A order', async (t) => {
  const cells = planCells(normalizeOptions({ pairRounds: 3, only: ['-auth-'] }), true);
  t.same(
    cells.map((c) => c.scenario),
    [
      'fast-cached-auth-off',
      'fast-cached-auth-keys',
      'fast-cached-auth-keys#2',
      'fast-cached-auth-off#2',
      'fast-cached-auth-off#3',
      'fast-cached-auth-keys#3',
      'fast-uncached-auth-off',
      'fast-uncached-auth-keys',
      'fast-uncached-auth-keys#2',
      'fast-uncached-auth-off#2',
      'fast-uncached-auth-off#3',
      'fast-uncached-auth-keys#3',
    ],
  );
  t.throws(() => normalizeOptions({ pairRounds: 0 }), { code: 'BENCH_BAD_OPTION' });
});

t.test('a stack the harness cannot scale gets no 2-worker cell', async (t) => {
  const names = planCells(normalizeOptions(), false).map((c) => c.scenario);
  t.notOk(names.some((n) => n.includes('worker') || n.includes('versions')));
  t.ok(names.includes('slow-uncached'));
});

t.test('only keeps the scenarios its patterns match', async (t) => {
  const cells = planCells(normalizeOptions({ only: ['^fast-cached$', 'slow'] }), true);
  t.same(
    cells.map((c) => `${c.scenario}@${c.connections}`),
    [
      'fast-cached@1',
      'fast-cached@64',
      'fast-cached@256',
      'slow-uncached-1-worker@64',
      'slow-32rows-1-worker@64',
      'slow-uncached-2-workers@64',
      'slow-32rows-2-workers@64',
    ],
  );
});
