import { join } from 'node:path';
import t from 'tap';
import { RedisUsageLimiter } from '../src/identity/redis-usage-limiter.js';
import { usageWindows } from '../src/identity/usage-windows.js';
import { DEFAULT_REDIS_POLICY_KEY } from '../src/traffic/redis-policy-store.js';
import { announceVersions } from './helpers/announce.js';
import { ADMIN_KEY, bearer, createKey, PEPPER } from './helpers/identity.js';
import { irisRows } from './helpers/jobs.js';
import { RedisProcess } from './helpers/redis-process.js';
import { ROOT, spawnWorker, startGateway, unique, waitFor } from './helpers/stack.js';
import { privateVhost } from './helpers/vhost.js';

// No append-only file on these Redis processes: its write buffer would count in used_memory for
// a moment and blur the figure (measured: 467 and 579 B on two runs with AOF, against 460 B of
// data, for a traffic policy).
const NO_AOF = ['--appendonly', 'no', '--maxmemory-policy', 'noeviction'];

// Memory per row of durable state, so operators can size the state Redis (README, "Sizing the
// state Redis"). Prints its figures (t.comment); asserts only that they were measured. A row is
// measured as written by the gateway itself, then copied ROWS times under names of the same
// length: used_memory's growth over ROWS, divided by ROWS, includes Redis's own per-entry
// overhead. Keys and usage counters are copied the same way; a job is measured whole.
const ROWS = 10_000;
/** Rows of the job measured: ten full chunks of 1024. */
const JOB_ROWS = 10_240;

t.test('memory per traffic policy on the state Redis', async (t) => {
  const state = await RedisProcess.start(t, 38015, NO_AOF);
  const model = unique('t-state-mem');
  await announceVersions(t, model, ['1', '2']);
  const gw = await startGateway(t, { STATE_REDIS_URL: state.url });
  await waitFor('both versions', () => gw.owned.deps.registry.versions(model).length === 2);
  // A canary with shadow and automatic rollback: the largest record a policy makes today.
  const put = await gw.app.inject({
    method: 'PUT',
    url: `/admin/models/${model}/traffic`,
    payload: {
      weights: { '1': 90, '2': 10 },
      shadow: { version: '2', percent: 10 },
      auto_rollback: { margin: 0.05, window_seconds: 300, min_requests: 100 },
    },
  });
  t.equal(put.statusCode, 200, put.body);

  const client = state.client();
  await client.connect();
  t.teardown(() => client.close());
  const json = await client.hGet(DEFAULT_REDIS_POLICY_KEY, model);
  t.ok(json, 'the gateway stored the policy');
  const record = JSON.parse(json as string);
  const usedMemory = async () => Number((await state.info('memory')).used_memory);
  await client.del(DEFAULT_REDIS_POLICY_KEY);
  const before = await usedMemory();
  for (let i = 0; i < ROWS; i += 500) {
    const fields: Record<string, string> = {};
    for (let j = i; j < i + 500; j++) {
      const name = `${model.slice(0, model.length - 6)}${String(j).padStart(6, '0')}`;
      fields[name] = JSON.stringify({ ...record, model: name });
    }
    await client.hSet(DEFAULT_REDIS_POLICY_KEY, fields);
  }
  const after = await usedMemory();
  t.equal(await client.hLen(DEFAULT_REDIS_POLICY_KEY), ROWS);
  const perRow = (after - before) / ROWS;
  const usage = Number(await client.memoryUsage(DEFAULT_REDIS_POLICY_KEY, { SAMPLES: 0 }));
  t.ok(perRow > (json as string).length, 'a row costs at least its JSON');
  t.comment(
    `traffic policy: ${(json as string).length} B of JSON (model name ${model.length} chars); ` +
      `${perRow.toFixed(0)} B per policy (used_memory growth over ${ROWS}); ` +
      `MEMORY USAGE of the hash / ${ROWS}: ${(usage / ROWS).toFixed(0)} B`,
  );
  await client.del(DEFAULT_REDIS_POLICY_KEY);
});

const usedMemory = async (redis: RedisProcess) => Number((await redis.info('memory')).used_memory);

t.test('memory per API key and per usage counter set on the state Redis', async (t) => {
  const state = await RedisProcess.start(t, 38025, NO_AOF);
  const gw = await startGateway(t, {
    STATE_REDIS_URL: state.url,
    AUTH: 'keys',
    API_KEY_PEPPER: PEPPER,
    ADMIN_API_KEY: ADMIN_KEY,
  });
  // A key with every field set, as large as an admin makes them today but for its name.
  const key = await createKey(gw.app, {
    name: 'customer-0001-production',
    models: ['fast', 'intermediate'],
    scopes: ['predict', 'jobs'],
    rate_limit_per_minute: 600,
    rows_per_day: 100_000,
    rows_per_month: 1_000_000,
    expires_at: '2030-01-01T00:00:00Z',
  });
  const usage = await gw.app.inject({ url: '/v1/usage', headers: bearer(key.key) });
  t.equal(usage.statusCode, 200, 'the key authenticates (and is touched)');
  const client = state.client();
  await client.connect();
  t.teardown(() => client.close());
  const recordName = `mlapi:v1:key:${key.id}`;
  const usedName = `mlapi:v1:key-used:${key.id}`;
  await waitFor('the last-used time', async () => (await client.exists(usedName)) === 1);
  const json = (await client.get(recordName)) as string;
  const used = (await client.get(usedName)) as string;
  t.ok(json, 'the gateway stored the key record');
  t.equal(await client.sCard('mlapi:v1:keys'), 1, 'and indexed it');

  // A key is its record, its last-used time and its member of the index (redis-key-store.ts):
  // copied ROWS times under ids of the same length.
  await client.del([recordName, usedName, 'mlapi:v1:keys']);
  const idOf = (i: number) => `${key.id.slice(0, key.id.length - 6)}${String(i).padStart(6, '0')}`;
  const before = await usedMemory(state);
  for (let i = 0; i < ROWS; i += 500) {
    const batch = client.multi();
    for (let j = i; j < i + 500; j++) {
      const id = idOf(j);
      batch.set(`mlapi:v1:key:${id}`, JSON.stringify({ ...JSON.parse(json), id }));
      batch.set(`mlapi:v1:key-used:${id}`, used);
      batch.sAdd('mlapi:v1:keys', id);
    }
    await batch.exec();
  }
  const after = await usedMemory(state);
  t.equal(await client.sCard('mlapi:v1:keys'), ROWS);
  const perKey = (after - before) / ROWS;
  t.ok(perKey > json.length, 'a key costs at least its JSON');
  t.comment(
    `API key: ${json.length} B of JSON; ${perKey.toFixed(0)} B per key (record, last-used ` +
      `time, index member; used_memory growth over ${ROWS})`,
  );

  // Usage counters: what the gateway's limiter writes for a key with all three limits (one
  // string per window: requests this minute, rows today, rows this month, each expiring).
  const limiter = new RedisUsageLimiter(client);
  const windows = usageWindows(Date.now(), 60_000);
  const limits = { requestsPerMinute: 600, rowsPerDay: 100_000, rowsPerMonth: 1_000_000 };
  const countersBefore = await usedMemory(state);
  for (let i = 0; i < ROWS; i += 500) {
    const writes: Promise<unknown>[] = [];
    for (let j = i; j < i + 500; j++)
      writes.push(limiter.consume(`k:${idOf(j)}`, limits, 5, windows));
    await Promise.all(writes);
  }
  const countersAfter = await usedMemory(state);
  const sample = await limiter.usage(`k:${idOf(0)}`, windows);
  t.same(sample, { requests: 1, rowsToday: 5, rowsThisMonth: 5 }, 'the counters were written');
  const perCounters = (countersAfter - countersBefore) / ROWS;
  t.ok(perCounters > 0, 'counters cost memory');
  t.comment(
    `usage counters: ${perCounters.toFixed(0)} B per key with all three limits (three strings ` +
      `with expiry; used_memory growth over ${ROWS})`,
  );
});

t.test('memory per row of a finished job on the state Redis', async (t) => {
  const state = await RedisProcess.start(t, 38026, NO_AOF);
  const amqpUrl = await privateVhost(t);
  spawnWorker(t, join(ROOT, 'models', 'fast'), { AMQP_URL: amqpUrl });
  const gw = await startGateway(t, { AMQP_URL: amqpUrl, STATE_REDIS_URL: state.url });
  await waitFor(
    'a live fast worker',
    async () => (await gw.app.inject({ url: '/v2/models/fast/ready' })).statusCode === 200,
    90_000,
  );
  // The whole job as the gateway and the worker store it (JOB_CHUNK_ROWS 1024, the default):
  // its meta hash, its chunks of predictions and probabilities, its events.
  const rows = irisRows(JOB_ROWS, 7);
  const before = await usedMemory(state);
  const submitted = await gw.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    payload: { model_name: 'fast', input_data: rows },
  });
  t.equal(submitted.statusCode, 202, submitted.body.slice(0, 200));
  const jobId = submitted.json().job_id as string;
  let status = '';
  await waitFor(
    'the job to finish',
    async () => {
      status = (await gw.app.inject({ url: `/v1/jobs/${jobId}` })).json().status;
      return status !== 'queued' && status !== 'running';
    },
    120_000,
  );
  t.equal(status, 'succeeded');
  const after = await usedMemory(state);
  const client = state.client();
  await client.connect();
  t.teardown(() => client.close());
  const chunks = `mlapi:job:{${jobId}}:chunks`;
  t.equal(await client.hLen(chunks), Math.ceil(JOB_ROWS / 1024), 'every chunk stored');
  const names = [chunks, `mlapi:job:{${jobId}}:meta`, `mlapi:job:{${jobId}}:events`];
  let usage = 0;
  for (const name of names) usage += Number(await client.memoryUsage(name, { SAMPLES: 0 }));
  const perRow = (after - before) / JOB_ROWS;
  t.ok(perRow > 0, 'a job row costs memory');
  t.comment(
    `job row (fast model, 3 classes): ${perRow.toFixed(0)} B per row (used_memory growth over ` +
      `a job of ${JOB_ROWS} rows); MEMORY USAGE of its keys / ${JOB_ROWS}: ` +
      `${(usage / JOB_ROWS).toFixed(0)} B`,
  );
});
