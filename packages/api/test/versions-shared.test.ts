import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelManifest, PredictResult } from '@mlapi/contracts';
import { modelQueue } from '@mlapi/contracts';
import { PresencePublisher, RemoteError, RpcServer } from '@mlapi/rpc';
import t from 'tap';
import { createRedisClient } from '../src/redis-client.js';
import { DEFAULT_REDIS_POLICY_KEY } from '../src/traffic/redis-policy-store.js';
import { AMQP_URL, spawnWorker, startGateway, unique, waitFor } from './helpers/stack.js';
import {
  FAST_V1_DIR,
  FAST_V2_DIR,
  graphOracle,
  maxDifference,
  metricValue,
  versionDir,
} from './helpers/versions.js';

// These gateways share the real Redis on 6379: the cache and the traffic policies. Every model
// name is unique, so no other test's keys or policy fields are touched; ours are removed.
const REDIS_URL = 'redis://127.0.0.1:6379';
const redis = createRedisClient(REDIS_URL, () => {});
await redis.connect();
const models: string[] = [];
t.teardown(async () => {
  for (const model of models) {
    await redis.hDel(DEFAULT_REDIS_POLICY_KEY, model);
    for await (const keys of redis.scanIterator({
      MATCH: `mlapi:v2:pred:${model}:*`,
      COUNT: 500,
    })) {
      if (keys.length > 0) await redis.del(keys);
    }
  }
  await redis.close();
});
const model = (prefix: string) => {
  const name = unique(prefix);
  models.push(name);
  return name;
};

const oracle1 = await graphOracle(FAST_V1_DIR);
const oracle2 = await graphOracle(FAST_V2_DIR);
t.teardown(async () => {
  await oracle1.release();
  await oracle2.release();
});

const ask = async (
  app: Awaited<ReturnType<typeof startGateway>>['app'],
  name: string,
  rows: number[][],
  version?: string,
) => {
  const res = await app.inject({
    method: 'POST',
    url: '/predict',
    payload: { model_name: name, input_data: rows, ...(version ? { model_version: version } : {}) },
  });
  return res.json() as PredictResult & { cached: boolean };
};

t.test('the shared cache never crosses versions', async (t) => {
  const name = model('t-cache-versions');
  spawnWorker(t, await versionDir(t, name, FAST_V1_DIR, '1'));
  spawnWorker(t, await versionDir(t, name, FAST_V2_DIR, '2'));
  const gw = await startGateway(t, { REDIS_URL });
  await waitFor('both versions', () => gw.owned.deps.registry.liveWorkers(name) === 2);
  const rows = [[6.2, 2.8, 4.85, 1.65]];
  const want = { '1': await oracle1.run(rows), '2': await oracle2.run(rows) };
  for (const round of [false, true]) {
    for (const version of ['1', '2'] as const) {
      const answer = await ask(gw.app, name, rows, version);
      t.equal(
        answer.cached,
        round,
        `version ${version}, ${round ? 'again: a hit' : 'first: a miss'}`,
      );
      t.equal(answer.model_version, version);
      t.ok(maxDifference(answer.probabilities as number[][], want[version].probabilities) < 1e-5);
    }
  }
  t.not(want['1'].predictions[0], want['2'].predictions[0], 'the versions answer differently');
});

t.test('a retrained graph under the same version never gets an old answer', async (t) => {
  const name = model('t-cache-graph');
  const old = spawnWorker(t, await versionDir(t, name, FAST_V1_DIR, '1'));
  const gw = await startGateway(t, { REDIS_URL });
  await waitFor('the old graph', () => gw.owned.deps.registry.liveWorkers(name, '1') === 1);
  const oldSha = gw.owned.deps.registry.get(name, '1')?.sha256;
  const rows = [
    [6.2, 2.8, 4.85, 1.65],
    [5.9, 3.0, 5.1, 1.8],
  ];
  t.equal((await ask(gw.app, name, rows)).cached, false);
  t.equal((await ask(gw.app, name, rows)).cached, true, 'cached under the old graph');

  old.child.kill('SIGTERM');
  await old.exited;
  // Same name, same version string "1", the other graph (its model.json carries its sha256).
  const v2Manifest: ModelManifest = JSON.parse(
    await readFile(join(FAST_V2_DIR, 'model.json'), 'utf8'),
  );
  spawnWorker(t, await versionDir(t, name, FAST_V2_DIR, '1'));
  await waitFor('the retrained graph', () => {
    const spec = gw.owned.deps.registry.get(name, '1');
    return (
      spec?.sha256 === v2Manifest.sha256 && gw.owned.deps.registry.liveWorkers(name, '1') === 1
    );
  });
  t.not(oldSha, v2Manifest.sha256);
  const fresh = await ask(gw.app, name, rows);
  t.equal(fresh.cached, false, 'the old answer is not served');
  t.equal(fresh.model_version, '1');
  const want = await oracle2.run(rows);
  t.ok(
    maxDifference(fresh.probabilities as number[][], want.probabilities) < 1e-5,
    'the new graph answered',
  );
  const other = await graphOracle(FAST_V1_DIR);
  t.teardown(() => other.release());
  t.ok(
    maxDifference(fresh.probabilities as number[][], (await other.run(rows)).probabilities) > 0.01,
  );
  t.equal((await ask(gw.app, name, rows)).cached, true, 'and the new answer is cached in turn');
});

t.test('a policy set on one gateway replica is applied on another within 2 s', async (t) => {
  const name = model('t-replicas');
  spawnWorker(t, await versionDir(t, name, FAST_V1_DIR, '1'));
  spawnWorker(t, await versionDir(t, name, FAST_V2_DIR, '2'));
  const a = await startGateway(t, { REDIS_URL });
  const b = await startGateway(t, { REDIS_URL });
  for (const gw of [a, b]) {
    await waitFor('both versions', () => gw.owned.deps.registry.liveWorkers(name) === 2);
  }
  const put = await a.app.inject({
    method: 'PUT',
    url: `/admin/models/${name}/traffic`,
    payload: { weights: { '1': 0, '2': 100 } },
  });
  t.equal(put.statusCode, 200);
  const setAt = Date.now();
  const revision = put.json().revision;
  await waitFor(
    'the other replica to apply it',
    async () =>
      (await b.app.inject({ url: `/admin/models/${name}/traffic` })).json().revision === revision,
    5000,
  );
  const elapsed = Date.now() - setAt;
  t.ok(elapsed <= 2000, `applied on the other replica after ${elapsed} ms`);
  const seen = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const res = await b.app.inject({
      method: 'POST',
      url: '/predict',
      headers: { 'x-session-id': `replica-${i}` },
      payload: { model_name: name, input_data: [[5 + i / 10, 3, 1.5, 0.2]] },
    });
    seen.add(res.json().model_version);
  }
  t.same([...seen], ['2'], 'the other replica routes by it');
});

/** A version that fails every call (a broken canary), announced like a real worker. */
class FailingVersion extends RpcServer<unknown, PredictResult> {
  protected override async handle(): Promise<PredictResult> {
    throw new RemoteError('INTERNAL', 'this canary is broken');
  }
}

t.test('a canary failing more than the stable version is rolled back automatically', async (t) => {
  const name = model('t-rollback');
  spawnWorker(t, await versionDir(t, name, FAST_V1_DIR, '1'));
  const { aliases: _aliases, ...v2 } = JSON.parse(
    await readFile(join(FAST_V2_DIR, 'model.json'), 'utf8'),
  );
  const manifest = { ...v2, name };
  const queue = modelQueue(name, '2');
  const broken = new FailingVersion({ url: AMQP_URL, queue, logger: null });
  await broken.start();
  const presence = new PresencePublisher({
    url: AMQP_URL,
    service: queue,
    meta: () => ({ manifest }),
    ready: () => true,
    logger: null,
  });
  await presence.start();
  t.teardown(async () => {
    await presence.stop();
    await broken.stop();
  });
  const gw = await startGateway(t, { REDIS_URL });
  await waitFor('both versions', () => gw.owned.deps.registry.liveWorkers(name) === 2);
  const put = await gw.app.inject({
    method: 'PUT',
    url: `/admin/models/${name}/traffic`,
    payload: {
      weights: { '1': 80, '2': 20 },
      auto_rollback: { margin: 0.05, window_seconds: 30, min_requests: 10 },
    },
  });
  t.equal(put.statusCode, 200);

  const statuses: number[] = [];
  for (let i = 0; i < 200; i++) {
    const res = await gw.app.inject({
      method: 'POST',
      url: '/predict',
      headers: { 'x-session-id': `rollback-${i}` },
      payload: { model_name: name, input_data: [[5 + i / 100, 3, 1.5, 0.2]] },
    });
    statuses.push(res.statusCode);
  }
  const failed = statuses.filter((s) => s === 500).length;
  t.ok(failed >= 10, `${failed} requests reached the broken canary`);
  await waitFor('the rollback', async () => {
    const view = (await gw.app.inject({ url: `/admin/models/${name}/traffic` })).json();
    return view.policy.weights['2'] === 0;
  });
  const view = (await gw.app.inject({ url: `/admin/models/${name}/traffic` })).json();
  t.same(view.policy.weights, { '1': 80, '2': 0 }, "the canary's weight is 0");
  t.equal(view.rollbacks.length, 1);
  t.equal(view.rollbacks[0].version, '2');
  t.equal(view.rollbacks[0].stable_version, '1');
  t.ok(view.rollbacks[0].error_rate > 0.9, 'with the error rate that triggered it');
  t.equal(
    await metricValue(gw.app, 'model_traffic_rollbacks_total', {
      model_name: name,
      model_version: '2',
    }),
    1,
  );
  for (let i = 0; i < 50; i++) {
    const res = await gw.app.inject({
      method: 'POST',
      url: '/predict',
      headers: { 'x-session-id': `rollback-${i}` },
      payload: { model_name: name, input_data: [[6 + i / 100, 3, 1.5, 0.2]] },
    });
    if (res.statusCode !== 200 || res.json().model_version !== '1')
      t.fail(`after rollback: ${res.body}`);
  }
});
