import { type ModelSpec, stickyBucket, TRAFFIC_BUCKETS } from '@mlapi/contracts';
import t from 'tap';
import type { ApiError } from '../src/errors.js';
import type { ModelRegistry } from '../src/registry.js';
import { bucketCounts, ownerOf, reallocate } from '../src/traffic/allocation.js';
import { MemoryPolicyStore } from '../src/traffic/memory-policy-store.js';
import { TrafficPolicies } from '../src/traffic/policies.js';
import { RollbackGuard } from '../src/traffic/rollback-guard.js';
import { TrafficRouter } from '../src/traffic/router.js';

/** A registry of versions with set live-worker counts (no broker needed for routing logic). */
function fakeRegistry(
  live: Record<string, number>,
): ModelRegistry & { live: Record<string, number> } {
  const spec = (version: string) => ({ name: 'm', version, sha256: null }) as unknown as ModelSpec;
  return {
    live,
    silentForMs: () => 0,
    models: () => ['m'],
    versions: (model) => (model === 'm' ? Object.keys(live).sort() : []),
    get: (model, version) => (model === 'm' && version in live ? spec(version) : undefined),
    liveWorkers: (model, version) =>
      model !== 'm'
        ? 0
        : version === undefined
          ? Object.values(live).reduce((a, b) => a + b, 0)
          : (live[version] ?? 0),
  };
}

function setup(live: Record<string, number>) {
  const registry = fakeRegistry(live);
  const store = new MemoryPolicyStore();
  const fallbacks: string[] = [];
  const router = new TrafficRouter({
    registry,
    store,
    events: { fallback: (_m, v) => fallbacks.push(v), shadowSkipped: () => {} },
    random: () => 0.5,
  });
  const policies = new TrafficPolicies({ store, router, registry });
  return { registry, store, router, policies, fallbacks };
}

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as ApiError).code;
  }
  return null;
};

t.test(
  'raising a weight moves buckets only from shrinking versions to the growing one',
  async (t) => {
    const order = ['1', '2', '3'];
    let ranges = reallocate(
      null,
      [
        ['1', 90],
        ['2', 10],
      ],
      order,
    );
    t.same(Object.fromEntries(bucketCounts(ranges)), { '1': 9000, '2': 1000 });
    const steps: [string, number][][] = [
      [
        ['1', 50],
        ['2', 50],
      ],
      [
        ['1', 40],
        ['2', 40],
        ['3', 20],
      ],
      [
        ['1', 0],
        ['2', 70],
        ['3', 30],
      ],
      [
        ['1', 10],
        ['2', 0],
        ['3', 90],
      ],
    ];
    for (const weights of steps) {
      const next = reallocate(ranges, weights, order);
      const before = bucketCounts(ranges);
      const after = bucketCounts(next);
      let bad = 0;
      for (let b = 0; b < TRAFFIC_BUCKETS; b++) {
        const was = ownerOf(ranges, b) as string;
        const now = ownerOf(next, b) as string;
        // A bucket may only move off a version that shrank, onto one that grew.
        if (
          was !== now &&
          !(
            (after.get(was) ?? 0) < (before.get(was) ?? 0) &&
            (after.get(now) ?? 0) > (before.get(now) ?? 0)
          )
        )
          bad++;
      }
      t.equal(bad, 0, `${JSON.stringify(weights)}: no needless move`);
      const total = weights.reduce((s, [, w]) => s + w, 0);
      for (const [v, w] of weights)
        t.equal(after.get(v) ?? 0, (w * TRAFFIC_BUCKETS) / total, `${v} share`);
      ranges = next;
    }
  },
);

t.test('without a policy, live versions share callers by live workers', async (t) => {
  const { router, registry } = setup({ '1': 3, '2': 1 });
  const counts = new Map<string, number>();
  for (let i = 0; i < 4000; i++) {
    const v = router.choose('m', undefined, `c${i}`).spec.version;
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  t.ok(Math.abs((counts.get('2') ?? 0) / 4000 - 0.25) < 0.03, `v2 got ${counts.get('2')} of 4000`);
  registry.live['1'] = 0;
  t.equal(router.choose('m', undefined, 'c1').spec.version, '2', 'only the live one');
  registry.live['2'] = 0;
  t.equal(
    router.choose('m', undefined, 'c1').spec.version,
    '2',
    'none live: the newest (503 later)',
  );
  t.same(
    router.shares('m').map((s) => s.share),
    [0, 0],
  );
});

t.test('a version with no live worker loses its callers to the weighted others', async (t) => {
  const { router, registry, policies, fallbacks } = setup({ '1': 1, '2': 1, '3': 1 });
  await policies.set('m', { weights: { '1': 50, '2': 50, '3': 0 } });
  const onTwo = Array.from({ length: 400 }, (_, i) => `c${i}`).filter(
    (c) => router.choose('m', undefined, c).spec.version === '2',
  );
  t.ok(onTwo.length > 100);
  registry.live['2'] = 0;
  for (const c of onTwo) {
    if (router.choose('m', undefined, c).spec.version !== '1') t.fail(`${c} not moved to 1`);
  }
  t.equal(fallbacks.length, onTwo.length, 'each one counted');
  t.same(
    router.shares('m').map((s) => [s.version, s.share]),
    [
      ['1', 1],
      ['2', 0],
      ['3', 0],
    ],
  );
  registry.live['1'] = 0;
  t.equal(
    code(() => router.choose('m', undefined, 'c1')),
    'UNAVAILABLE',
    'weight 0 gets nothing',
  );
  t.notOk(router.ready('m'));
});

t.test('explicit versions and unknown names', async (t) => {
  const { router } = setup({ '1': 1 });
  t.equal(router.choose('m', '1', 'c').spec.version, '1');
  t.equal(
    code(() => router.choose('m', '9', 'c')),
    'NOT_FOUND',
  );
  t.equal(
    code(() => router.choose('m', 'Bad Version', 'c')),
    'BAD_INPUT',
  );
  t.equal(
    code(() => router.choose('nope', undefined, 'c')),
    'UNKNOWN_MODEL',
  );
  t.equal(
    code(() => router.choose('Bad Name', undefined, 'c')),
    'BAD_INPUT',
  );
});

t.test('a first policy moves no caller the default had already placed', async (t) => {
  const { router, policies } = setup({ '1': 1, '2': 1 });
  const callers = Array.from({ length: 300 }, (_, i) => `c${i}`);
  const before = new Map(callers.map((c) => [c, router.choose('m', undefined, c).spec.version]));
  await policies.set('m', { weights: { '1': 50, '2': 50 } });
  const moved = callers.filter(
    (c) => router.choose('m', undefined, c).spec.version !== before.get(c),
  );
  t.same(moved, [], 'the same halves as the workers-proportional default');
});

t.test('policy writes are checked and compare-and-set', async (t) => {
  const { policies, store } = setup({ '1': 1, '2': 1 });
  await t.rejects(policies.set('m', { weights: { '7': 1 } }), { code: 'BAD_INPUT' });
  await t.rejects(
    policies.set('m', { weights: { '1': 1 }, shadow: { version: '7', percent: 5 } }),
    {
      code: 'BAD_INPUT',
    },
  );
  await t.rejects(policies.set('x', { weights: { '1': 1 } }), { code: 'UNKNOWN_MODEL' });
  const first = await policies.set('m', { weights: { '1': 1 } });
  t.equal(first.revision, 1);
  await t.rejects(policies.set('m', { weights: { '2': 1 } }, 0), { code: 'CONFLICT' });
  t.equal((await policies.set('m', { weights: { '2': 1 } }, 1)).revision, 2);
  t.equal((await policies.clear('m')).policy, null);
  t.equal(store.get('m'), undefined);
  t.equal(await policies.seed({ m: { weights: { '1': 3 } } }), 1, 'seeded when absent');
  t.equal(await policies.seed({ m: { weights: { '2': 3 } } }), 0, 'never over a stored one');
  await t.rejects(policies.seed({ m: { weights: {} } }), { code: 'POLICY_INVALID' });
});

t.test('the rollback guard zeroes a canary that fails more than the stable version', async (t) => {
  const { policies, store } = setup({ '1': 1, '2': 1 });
  await policies.set('m', {
    weights: { '1': 90, '2': 10 },
    auto_rollback: { margin: 0.1, window_seconds: 10, min_requests: 20 },
  });
  let now = 1_000_000;
  const rolled: string[] = [];
  const warnings: object[] = [];
  const guard = new RollbackGuard({
    store,
    policies,
    logger: { warn: (obj) => warnings.push(obj) },
    rolledBack: (m, v) => rolled.push(`${m}@${v}`),
    now: () => now,
  });
  for (let i = 0; i < 100; i++) guard.record('m', '1', i % 20 === 0); // 5% errors
  for (let i = 0; i < 19; i++) guard.record('m', '2', true);
  t.same(await guard.judge(), [], 'too few canary requests to judge');
  for (let i = 0; i < 19; i++) guard.record('m', '2', i % 5 === 0);
  // 38 requests, 23 of them errors, but all older than the 10 s window by the time it judges.
  now += 20_000;
  t.same(await guard.judge(), [], 'the window has passed: nothing left to judge');
  for (let i = 0; i < 30; i++) guard.record('m', '2', i % 2 === 0);
  for (let i = 0; i < 30; i++) guard.record('m', '1', false);
  t.same(await guard.judge(), ['m@2'], '50% against 0% over the window: rolled back');
  t.same(rolled, ['m@2']);
  t.equal(store.get('m')?.policy.weights['2'], 0);
  t.equal(store.get('m')?.rollbacks[0]?.error_rate, 0.5);
  t.equal(warnings.length, 1, 'logged');
  t.same(await guard.judge(), [], 'once');
});

t.test('the sticky bucket the router uses is the contract', async (t) => {
  const { router, policies } = setup({ '1': 1, '2': 1 });
  const view = await policies.set('m', { weights: { '1': 70, '2': 30 } });
  for (const caller of ['a', 'b', 'c', 'd', 'e', 'f']) {
    t.equal(
      router.choose('m', undefined, caller).spec.version,
      ownerOf(view.buckets, stickyBucket(caller, 'm')),
    );
  }
});
