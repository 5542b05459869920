import t from 'tap';
import { DEFAULT_REDIS_POLICY_KEY } from '../src/traffic/redis-policy-store.js';
import { announceVersions, seriesValue } from './helpers/announce.js';
import { RedisProcess } from './helpers/redis-process.js';
import {
  API_MAIN,
  spawnNode,
  spawnWorker,
  startGateway,
  unique,
  uniqueModel,
  waitFor,
  waitLive,
} from './helpers/stack.js';
import { freshRow } from './helpers/versions.js';

// Issue 16 against redis-server processes this test owns (ports 38010-38019), each in its own
// temp directory: the state Redis is persisted (AOF, appendfsync everysec, as in
// k8s-config/redis/state-redis.yaml) and never evicts; the cache Redis is an LRU.
const STATE_ARGS = [
  '--appendonly',
  'yes',
  '--appendfsync',
  'everysec',
  '--maxmemory-policy',
  'noeviction',
];

const policyOf = (model: string) => `/admin/models/${model}/traffic`;

t.test('traffic policies survive a restart of the AOF-persisted state Redis', async (t) => {
  const state = await RedisProcess.start(t, 38010, STATE_ARGS);
  const model = unique('t-state-restart');
  await announceVersions(t, model, ['1', '2']);
  const env = { STATE_REDIS_URL: state.url, STATE_REDIS_REQUIRE_DURABLE: 'true' };
  const gw = await startGateway(t, env);
  await waitFor('both versions', () => gw.owned.deps.registry.versions(model).length === 2);
  const put = await gw.app.inject({
    method: 'PUT',
    url: policyOf(model),
    payload: { weights: { '1': 90, '2': 10 }, shadow: { version: '2', percent: 50 } },
  });
  t.equal(put.statusCode, 200, put.body);
  const before = put.json();

  await state.stop('SIGTERM');
  await waitFor('the gateway sees the state Redis go', async () => {
    const ready = (await gw.app.inject({ url: '/health/ready' })).json();
    return ready.redis?.state === 'down';
  });
  await state.start();
  await waitFor('the gateway reconnects by itself', async () => {
    const ready = (await gw.app.inject({ url: '/health/ready' })).json();
    return ready.redis?.state === 'up';
  });

  // A replica started after the restart knows the policy only from the state Redis.
  const fresh = await startGateway(t, env);
  await waitFor('versions on the new replica', () => {
    return fresh.owned.deps.registry.versions(model).length === 2;
  });
  const after = (await fresh.app.inject({ url: policyOf(model) })).json();
  t.same(after.policy, before.policy, 'the same policy');
  t.equal(after.revision, before.revision, 'at the same revision');
  t.same(after.buckets, before.buckets, 'with the same sticky buckets');
  // The first replica's conditional write still meets the stored revision.
  const next = await gw.app.inject({
    method: 'PUT',
    url: policyOf(model),
    headers: { 'if-match': `"${before.revision}"` },
    payload: { weights: { '1': 50, '2': 50 } },
  });
  t.equal(next.statusCode, 200, next.body);
  t.equal(next.json().revision, before.revision + 1);
});

t.test('filling the cache Redis past maxmemory leaves the policies intact', async (t) => {
  const cache = await RedisProcess.start(t, 38011, [
    '--appendonly',
    'no',
    '--maxmemory',
    '3mb',
    '--maxmemory-policy',
    'allkeys-lru',
  ]);
  const state = await RedisProcess.start(t, 38012, STATE_ARGS);
  const served = await uniqueModel(t, 'fast');
  spawnWorker(t, served.dir);
  const canaried = unique('t-state-cache-fill');
  await announceVersions(t, canaried, ['1', '2']);
  const gw = await startGateway(t, {
    REDIS_URL: cache.url,
    STATE_REDIS_URL: state.url,
    CACHE_TTL_SECONDS: '3600',
  });
  await waitLive(gw, served.name);
  await waitFor('both versions', () => gw.owned.deps.registry.versions(canaried).length === 2);
  const servedVersion = gw.owned.deps.registry.versions(served.name)[0] as string;
  const policies: [string, Record<string, number>][] = [
    [served.name, { [servedVersion]: 100 }],
    [canaried, { '1': 70, '2': 30 }],
  ];
  for (const [name, weights] of policies) {
    const put = await gw.app.inject({ method: 'PUT', url: policyOf(name), payload: { weights } });
    t.equal(put.statusCode, 200, put.body);
  }
  const stateClient = state.client();
  await stateClient.connect();
  t.teardown(() => stateClient.close());
  const stored = await stateClient.hGetAll(DEFAULT_REDIS_POLICY_KEY);
  t.equal(Object.keys(stored).length, 2, 'two policies on the state Redis');
  const cacheClient = cache.client();
  await cacheClient.connect();
  t.teardown(() => cacheClient.close());
  t.equal(await cacheClient.exists(DEFAULT_REDIS_POLICY_KEY), 0, 'none on the cache Redis');

  // Distinct predictions through the gateway (512 fresh rows each, one cache entry of ~30 kB
  // per request) until the cache's LRU has evicted a good many of them.
  let requests = 0;
  while (Number((await cache.info('stats')).evicted_keys) < 50) {
    const rows = Array.from({ length: 512 }, (_, i) => freshRow(i, requests));
    rows[0] = [5 + requests / 1000, 3, 1.5, 0.2];
    const res = await gw.app.inject({
      method: 'POST',
      url: '/predict',
      payload: { model_name: served.name, input_data: rows },
    });
    t.equal(res.statusCode, 200, `request ${requests}`);
    requests++;
    if (requests > 2000) throw new Error('the cache Redis never evicted');
  }
  const cacheStats = await cache.info('stats');
  t.ok(
    Number(cacheStats.evicted_keys) >= 50,
    `the cache evicted ${cacheStats.evicted_keys} of ${requests} predictions`,
  );

  t.same(await stateClient.hGetAll(DEFAULT_REDIS_POLICY_KEY), stored, 'every policy intact');
  t.equal(Number((await state.info('stats')).evicted_keys), 0, 'the state Redis evicted nothing');
  for (const [name, weights] of policies) {
    const view = (await gw.app.inject({ url: policyOf(name) })).json();
    t.same(view.policy.weights, weights, `${name}'s policy is still served`);
  }
});

t.test(
  'a state Redis that may evict: refused with REQUIRE_DURABLE, a loud warning without',
  async (t) => {
    const lru = await RedisProcess.start(t, 38013, ['--maxmemory-policy', 'allkeys-lru']);
    const gateway = spawnNode(t, API_MAIN, {
      PORT: '0',
      HOST: '127.0.0.1',
      STATE_REDIS_URL: lru.url,
      STATE_REDIS_REQUIRE_DURABLE: 'true',
    });
    const { code } = await gateway.exited;
    t.equal(code, 1, 'the gateway exits 1');
    t.match(
      gateway.output(),
      /refusing to start: .*maxmemory-policy allkeys-lru/,
      'naming the setting',
    );
    t.match(gateway.output(), /set maxmemory-policy noeviction/, 'and the fix');
    t.match(gateway.output(), /no append-only file/, 'and warns that it does not persist');
    t.notMatch(gateway.output(), /listening/, 'it never listened');

    const warned = await startGateway(t, { STATE_REDIS_URL: lru.url });
    await waitFor('the policy read', async () => {
      const text = (await warned.app.inject({ url: '/metrics' })).body;
      return seriesValue(text, 'state_redis_noeviction') === 0;
    });
    const ready = await warned.app.inject({ url: '/health/ready' });
    t.equal(ready.statusCode, 200, 'without REQUIRE_DURABLE it serves');
    t.same(ready.json().redis, { cache: 'off', state: 'up' });
  },
);

t.test('a full state Redis refuses policy writes with 503; reads keep working', async (t) => {
  const state = await RedisProcess.start(t, 38014, [...STATE_ARGS, '--maxmemory', '2mb']);
  const model = unique('t-state-full');
  await announceVersions(t, model, ['1', '2']);
  const gw = await startGateway(t, {
    STATE_REDIS_URL: state.url,
    STATE_REDIS_REQUIRE_DURABLE: 'true',
  });
  await waitFor('both versions', () => gw.owned.deps.registry.versions(model).length === 2);
  const first = await gw.app.inject({
    method: 'PUT',
    url: policyOf(model),
    payload: { weights: { '1': 90, '2': 10 } },
  });
  t.equal(first.statusCode, 200, first.body);

  // Something else fills the state Redis to its maxmemory (noeviction: nothing is dropped).
  const filler = state.client();
  await filler.connect();
  t.teardown(() => filler.close());
  // Large values first, then ever smaller ones: a refused large value only proves its own
  // argument did not fit; full means even a few bytes are refused.
  let fillers = 0;
  let refused: unknown = null;
  for (const size of [64 * 1024, 4096, 256, 16]) {
    const blob = 'x'.repeat(size);
    refused = null;
    while (refused === null) {
      try {
        await filler.set(`filler:${fillers}`, blob);
        fillers++;
      } catch (err) {
        refused = err;
      }
      if (fillers > 100_000) throw new Error('the state Redis never filled up');
    }
  }
  t.match(String(refused), /OOM/, `full after ${fillers} filler keys: even 16 bytes are refused`);

  const put = await gw.app.inject({
    method: 'PUT',
    url: policyOf(model),
    payload: { weights: { '1': 50, '2': 50 } },
  });
  t.equal(put.statusCode, 503, 'the write is refused');
  t.equal(put.json().code, 'UNAVAILABLE');
  t.match(put.json().error, /state store is full/);
  t.ok(Number(put.headers['retry-after']) > 0, 'with Retry-After');

  const read = (await gw.app.inject({ url: policyOf(model) })).json();
  t.same(read.policy.weights, { '1': 90, '2': 10 }, 'the stored policy is still read');
  t.equal(read.revision, 1);
  const direct = await filler.hGetAll(DEFAULT_REDIS_POLICY_KEY);
  t.equal(Object.keys(direct).length, 1, 'the state Redis still answers reads');
  const metrics = (await gw.app.inject({ url: '/metrics' })).body;
  t.equal(seriesValue(metrics, 'state_redis_writes_refused_total'), 1, 'the refusal is counted');
  const ready = await gw.app.inject({ url: '/health/ready' });
  t.equal(ready.statusCode, 200, 'the gateway stays ready');
  t.equal(ready.json().redis.state, 'up');

  // Room again: writes work again.
  for (let i = 0; i < fillers; i++) await filler.del(`filler:${i}`);
  const again = await gw.app.inject({
    method: 'PUT',
    url: policyOf(model),
    payload: { weights: { '1': 50, '2': 50 } },
  });
  t.equal(again.statusCode, 200, again.body);
  t.equal(again.json().revision, 2);
});
