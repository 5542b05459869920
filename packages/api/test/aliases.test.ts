import { join } from 'node:path';
import t from 'tap';
import { DEFAULT_REDIS_ALIAS_KEY, RedisAliasStore } from '../src/aliases/redis-alias-store.js';
import { createRedisClient } from '../src/redis-client.js';
import {
  type Gateway,
  MODEL_NAMES,
  oracle,
  ROOT,
  spawnWorker,
  startGateway,
  unique,
  waitFor,
  waitLive,
} from './helpers/stack.js';
import { FAST_V1_DIR, FAST_V2_DIR, metricValue, versionDir } from './helpers/versions.js';
import { privateVhost } from './helpers/vhost.js';

interface Answer {
  model_name: string;
  resolved_model_name: string;
  model_version: string;
  predictions: number[];
  prediction?: number[];
  probabilities: number[][];
  cached: boolean;
  code?: string;
  error?: string;
}

const predict = async (gw: Gateway, body: Record<string, unknown>) => {
  const res = await gw.app.inject({ method: 'POST', url: '/predict', payload: body });
  return { status: res.statusCode, body: res.json() as Answer };
};

t.test('the shipped aliases answer in every route family, keyed on the real model', async (t) => {
  // The shipped models under their real names, so on a vhost of the test's own.
  const amqpUrl = await privateVhost(t);
  for (const model of MODEL_NAMES)
    spawnWorker(t, join(ROOT, 'models', model), { AMQP_URL: amqpUrl });
  const gw = await startGateway(t, { AMQP_URL: amqpUrl });
  for (const model of MODEL_NAMES) await waitLive(gw, model);
  const fast = await oracle('fast');
  t.teardown(() => fast.release());

  const listing = (await gw.app.inject({ url: '/v1/models' })).json();
  t.same(listing.models, ['fast', 'intermediate', 'slow']);
  t.same(
    listing.aliases,
    MODEL_NAMES.map((m) => ({
      alias: `${m}-iris-model`,
      model: m,
      version: null,
      source: 'manifest',
      updated_at: null,
    })),
    '/v1/models lists the three manifest aliases',
  );

  const rows = [[5.9, 3.0, 5.1, 1.8]];
  const want = await fast.run(rows);
  const first = await predict(gw, { model_name: 'fast-iris-model', input_data: rows });
  t.equal(first.status, 200);
  t.match(first.body, {
    model_name: 'fast-iris-model',
    resolved_model_name: 'fast',
    model_version: '1',
    cached: false,
  });
  t.same(first.body.predictions, want.predictions, 'the fast graph answered');
  t.same(first.body.prediction, first.body.predictions, 'the original `prediction` field');

  // The same rows by the model's own name: the alias's answer is in the cache under fast@1.
  const byName = await predict(gw, { model_name: 'fast', input_data: rows });
  t.match(byName.body, { model_name: 'fast', resolved_model_name: 'fast', cached: true });
  t.equal(
    await metricValue(gw.app, 'model_predictions_total', {
      model_name: 'fast',
      model_version: '1',
    }),
    2,
    'both requests are counted under the real model',
  );
  const metrics = (await gw.app.inject({ url: '/metrics' })).body;
  t.notMatch(metrics, /model_name="fast-iris-model"/, 'no metric is labelled with the alias');

  const v1 = await gw.app.inject({
    method: 'POST',
    url: '/v1/models/intermediate-iris-model:predict',
    payload: { instances: rows },
  });
  t.equal(v1.statusCode, 200);
  t.match(v1.json(), {
    model_name: 'intermediate-iris-model',
    resolved_model_name: 'intermediate',
  });
  t.equal(v1.headers['x-model-version'], '1');

  const v2 = await gw.app.inject({
    method: 'POST',
    url: '/v2/models/slow-iris-model/infer',
    payload: { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: rows[0] }] },
  });
  t.equal(v2.statusCode, 200);
  t.match(v2.json(), {
    model_name: 'slow-iris-model',
    resolved_model_name: 'slow',
    model_version: '1',
  });

  const meta = (await gw.app.inject({ url: '/v2/models/fast-iris-model' })).json();
  t.match(meta, { name: 'fast-iris-model', resolved_model_name: 'fast', versions: ['1'] });
  t.same(meta.inputs, [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }]);
  const ready = await gw.app.inject({ url: '/v2/models/slow-iris-model/ready' });
  t.equal(ready.statusCode, 200);
  const status = (await gw.app.inject({ url: '/v1/models/intermediate-iris-model' })).json();
  t.match(status, {
    name: 'intermediate-iris-model',
    resolved_model_name: 'intermediate',
    ready: true,
  });

  // A failure through an alias lands in the console's stats under the real model too.
  const narrow = await predict(gw, { model_name: 'fast-iris-model', input_data: [[1, 2, 3]] });
  t.equal(narrow.body.code, 'BAD_INPUT');
  const series = (await gw.app.inject({ url: '/stats/models' })).json().series as {
    model_name: string;
  }[];
  t.same(
    [...new Set(series.map((s) => s.model_name))].sort(),
    ['fast', 'intermediate', 'slow'],
    'the console stats know only the real models',
  );

  const unknown = await predict(gw, { model_name: 'medium-iris-model', input_data: rows });
  t.equal(unknown.status, 404);
  t.equal(unknown.body.code, 'UNKNOWN_MODEL');
});

t.test(
  'a second model claiming an alias, or one naming a model, is refused and counted',
  async (t) => {
    const amqpUrl = await privateVhost(t);
    const gw = await startGateway(t, { AMQP_URL: amqpUrl });
    const first = unique('t-first');
    const second = unique('t-second');
    const alias = unique('t-shared');
    spawnWorker(t, await versionDir(t, first, FAST_V1_DIR, '1', { aliases: [alias] }), {
      AMQP_URL: amqpUrl,
    });
    await waitLive(gw, first);
    // `second` claims the alias `first` holds, and also `first`'s own name.
    spawnWorker(t, await versionDir(t, second, FAST_V2_DIR, '1', { aliases: [alias, first] }), {
      AMQP_URL: amqpUrl,
    });
    await waitLive(gw, second);

    const refused = (labels: Record<string, string>) =>
      metricValue(gw.app, 'model_alias_refusals_total', { source: 'manifest', ...labels });
    // The second worker's manifest reaches the registry once it is live; the refusals follow.
    await waitFor('the refusals counted', async () => {
      await gw.app.inject({ url: '/v1/models' });
      return (await refused({ alias, model_name: second })) === 1;
    });
    t.equal(await refused({ alias, model_name: second, reason: 'claimed' }), 1);
    t.equal(await refused({ alias: first, model_name: second, reason: 'shadows_model' }), 1);
    t.equal(await refused({ model_name: first }), 0, 'the first claimer keeps it');

    const rows = [[6.1, 2.9, 4.7, 1.4]];
    const viaAlias = await predict(gw, { model_name: alias, input_data: rows });
    t.match(viaAlias.body, { model_name: alias, resolved_model_name: first });
    const viaName = await predict(gw, { model_name: first, input_data: rows });
    t.match(viaName.body, { resolved_model_name: first }, 'a model name is never an alias');

    const put = await gw.app.inject({
      method: 'PUT',
      url: `/admin/aliases/${alias}`,
      payload: { model: second },
    });
    t.equal(put.statusCode, 409, 'the admin API cannot take a manifest alias from its model');
    t.equal(put.json().code, 'CONFLICT');
    t.match(put.json().error, new RegExp(`declared by the manifest of "${first}"`));
    const shadow = await gw.app.inject({
      method: 'PUT',
      url: `/admin/aliases/${second}`,
      payload: { model: first },
    });
    t.equal(shadow.statusCode, 409, 'nor shadow a model name');
    t.equal(shadow.json().code, 'CONFLICT');
    t.equal(
      await metricValue(gw.app, 'model_alias_refusals_total', { source: 'admin' }),
      1,
      'each admin refusal is counted too',
    );
    t.equal(
      await metricValue(gw.app, 'model_alias_refusals_total', {
        source: 'admin',
        alias: second,
        reason: 'shadows_model',
      }),
      1,
    );
  },
);

t.test('run-time aliases are shared by replicas through Redis', async (t) => {
  const REDIS_URL = 'redis://127.0.0.1:6379';
  const redis = createRedisClient(REDIS_URL, () => {});
  await redis.connect();
  const champion = unique('t-champion');
  t.teardown(async () => {
    await redis.hDel(DEFAULT_REDIS_ALIAS_KEY, champion);
    await redis.close();
  });
  const name = unique('t-aliased');
  spawnWorker(t, await versionDir(t, name, FAST_V1_DIR, '1'));
  spawnWorker(t, await versionDir(t, name, FAST_V2_DIR, '2'));
  const a = await startGateway(t, { REDIS_URL });
  const b = await startGateway(t, { REDIS_URL });
  for (const gw of [a, b]) {
    await waitFor('both versions', () => gw.owned.deps.registry.liveWorkers(name) === 2);
  }
  const rows = [[5.0, 3.4, 1.5, 0.2]];

  const put = await a.app.inject({
    method: 'PUT',
    url: `/admin/aliases/${champion}`,
    payload: { model: name, version: '2' },
  });
  t.equal(put.statusCode, 200);
  t.match(put.json(), { alias: champion, model: name, version: '2', source: 'admin' });
  const onB = async () => (await predict(b, { model_name: champion, input_data: rows })).body;
  await waitFor('replica b serves the alias', async () => (await onB()).model_version === '2');
  t.match(await onB(), { model_name: champion, resolved_model_name: name, model_version: '2' });
  const meta = (await b.app.inject({ url: `/v2/models/${champion}` })).json();
  t.same(meta.versions, ['2'], 'an alias pinned to a version describes that version');

  const contradiction = await predict(b, {
    model_name: champion,
    model_version: '1',
    input_data: rows,
  });
  t.equal(contradiction.status, 400);
  t.equal(contradiction.body.code, 'BAD_INPUT');

  const listed = (await b.app.inject({ url: '/admin/aliases' })).json().aliases;
  t.same(
    listed
      .filter((v: { alias: string }) => v.alias === champion)
      .map((v: object) => ({ ...v, updated_at: 'x' })),
    [{ alias: champion, model: name, version: '2', source: 'admin', updated_at: 'x' }],
  );

  // Re-pointing: what a registry's `champion` is for.
  await a.app.inject({
    method: 'PUT',
    url: `/admin/aliases/${champion}`,
    payload: { model: name, version: '1' },
  });
  await waitFor('replica b follows', async () => (await onB()).model_version === '1');

  const del = await a.app.inject({ method: 'DELETE', url: `/admin/aliases/${champion}` });
  t.equal(del.statusCode, 200);
  await waitFor('replica b forgets it', async () => (await onB()).code === 'UNKNOWN_MODEL');
  const again = await a.app.inject({ method: 'DELETE', url: `/admin/aliases/${champion}` });
  t.equal(again.statusCode, 404);

  const unknownModel = await a.app.inject({
    method: 'PUT',
    url: `/admin/aliases/${champion}`,
    payload: { model: unique('t-nobody') },
  });
  t.equal(unknownModel.json().code, 'UNKNOWN_MODEL');
  const unknownVersion = await a.app.inject({
    method: 'PUT',
    url: `/admin/aliases/${champion}`,
    payload: { model: name, version: '9' },
  });
  t.equal(unknownVersion.json().code, 'NOT_FOUND');
});

t.test('the Redis alias store keeps usable records and reports the others', async (t) => {
  const redis = createRedisClient('redis://127.0.0.1:6379', () => {});
  await redis.connect();
  const key = `mlapi:test:aliases:${unique('t')}`;
  t.teardown(async () => {
    await redis.del(key);
    await redis.close();
  });
  const good = { alias: 'good', model: 'fast', version: '1', updated_at: 'then' };
  await redis.hSet(key, 'good', JSON.stringify(good));
  await redis.hSet(key, 'renamed', JSON.stringify({ ...good, alias: 'other' }));
  await redis.hSet(
    key,
    'bad-version',
    JSON.stringify({ ...good, alias: 'bad-version', version: '../1' }),
  );
  await redis.hSet(key, 'not-json', '{');
  const bad: string[] = [];
  const store = new RedisAliasStore(redis, { key, onBadRecord: (alias) => bad.push(alias) });
  await store.start();
  t.teardown(() => store.close());
  t.same(store.all(), [good]);
  t.same(bad.sort(), ['bad-version', 'not-json', 'renamed']);

  await store.set('champion', {
    alias: 'champion',
    model: 'slow',
    version: null,
    updated_at: 'now',
  });
  const other = new RedisAliasStore(redis, { key });
  await other.refresh();
  t.same(other.get('champion'), {
    alias: 'champion',
    model: 'slow',
    version: null,
    updated_at: 'now',
  });
  await store.set('champion', null);
  await other.refresh();
  t.equal(other.get('champion'), undefined, 'a delete reaches the other replica');
  t.throws(() => new RedisAliasStore(redis, { pollMs: 5 }), TypeError);
});
