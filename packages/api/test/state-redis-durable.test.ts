import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import t, { type Test } from 'tap';
import { ADMIN_KEY, bearer, createKey, PEPPER } from './helpers/identity.js';
import { irisRows } from './helpers/jobs.js';
import { RedisProcess } from './helpers/redis-process.js';
import { ROOT, spawnWorker, startGateway, waitFor } from './helpers/stack.js';
import { privateVhost } from './helpers/vhost.js';

// Issue 16 for API keys, usage counters and jobs, all on the state Redis (STATE_REDIS_URL), a
// redis-server this test owns (ports 38020-38039) persisted as in k8s-config/redis/state-redis.yaml.
// The cache (REDIS_URL) is unset: nothing here may depend on it.
const STATE_ARGS = [
  '--appendonly',
  'yes',
  '--appendfsync',
  'everysec',
  '--maxmemory-policy',
  'noeviction',
];

async function keysGateway(
  t: Test,
  state: RedisProcess,
  extra: Record<string, string> = {},
  workerEnv: Record<string, string> = {},
) {
  const amqpUrl = await privateVhost(t);
  const worker = spawnWorker(t, join(ROOT, 'models', 'fast'), { AMQP_URL: amqpUrl, ...workerEnv });
  const env = {
    ...extra,
    AMQP_URL: amqpUrl,
    STATE_REDIS_URL: state.url,
    STATE_REDIS_REQUIRE_DURABLE: 'true',
    AUTH: 'keys',
    API_KEY_PEPPER: PEPPER,
    ADMIN_API_KEY: ADMIN_KEY,
  };
  return { gw: await startGateway(t, env), env, worker };
}

async function waitServing(app: FastifyInstance, key: string): Promise<void> {
  await waitFor(
    'a live fast worker',
    async () =>
      (await app.inject({ url: '/v2/models/fast/ready', headers: bearer(key) })).statusCode === 200,
    90_000,
  );
}

async function predict(app: FastifyInstance, key: string, rows: number[][]) {
  return app.inject({
    method: 'POST',
    url: '/predict',
    headers: bearer(key),
    payload: { model_name: 'fast', input_data: rows },
  });
}

async function submitJob(app: FastifyInstance, key: string, rows: number[][]) {
  return app.inject({
    method: 'POST',
    url: '/v1/jobs',
    headers: bearer(key),
    payload: { model_name: 'fast', input_data: rows },
  });
}

async function settledJob(app: FastifyInstance, key: string, id: string) {
  let status = '';
  await waitFor(
    `job ${id} to finish`,
    async () => {
      const res = await app.inject({ url: `/v1/jobs/${id}`, headers: bearer(key) });
      status = res.statusCode === 200 ? res.json().status : '';
      return status !== '' && status !== 'queued' && status !== 'running';
    },
    120_000,
  );
  return status;
}

t.test('keys, usage counters and job results survive a restart of the state Redis', async (t) => {
  const state = await RedisProcess.start(t, 38020, STATE_ARGS);
  const { gw, env } = await keysGateway(t, state);
  const caller = await createKey(gw.app, {
    scopes: ['predict', 'jobs'],
    rows_per_day: 100_000,
  });
  await waitServing(gw.app, caller.key);

  const rows = irisRows(7, 11);
  const served = await predict(gw.app, caller.key, rows);
  t.equal(served.statusCode, 200, served.body.slice(0, 200));
  const submitted = await submitJob(gw.app, caller.key, irisRows(50, 5));
  t.equal(submitted.statusCode, 202, submitted.body.slice(0, 200));
  const jobId = submitted.json().job_id as string;
  t.equal(await settledJob(gw.app, caller.key, jobId), 'succeeded');
  const result = await gw.app.inject({
    url: `/v1/jobs/${jobId}/result`,
    headers: bearer(caller.key),
  });
  t.equal(result.statusCode, 200, result.body.slice(0, 200));
  t.equal(result.json().predictions.length, 50);
  const usage = await gw.app.inject({ url: '/v1/usage', headers: bearer(caller.key) });
  t.equal(usage.statusCode, 200, usage.body.slice(0, 200));
  const usedBefore = usage.json().rows_today.used;
  t.ok(usedBefore >= rows.length, `rows counted before the restart: ${usedBefore}`);

  await state.stop('SIGTERM');
  await waitFor('the gateway sees the state Redis go', async () => {
    return (await gw.app.inject({ url: '/health/ready' })).json().redis?.state === 'down';
  });
  await state.start();

  // A replica started after the restart holds nothing in memory: all it knows comes from the
  // append-only file.
  const fresh = await startGateway(t, env);
  const authed = await fresh.app.inject({ url: '/v1/usage', headers: bearer(caller.key) });
  t.equal(authed.statusCode, 200, 'the key still authenticates');
  t.equal(authed.json().rows_today.used, usedBefore, 'its usage counter is unchanged');
  const kept = await fresh.app.inject({
    url: `/v1/jobs/${jobId}/result`,
    headers: bearer(caller.key),
  });
  t.equal(kept.statusCode, 200, kept.body.slice(0, 200));
  t.same(kept.json().predictions, result.json().predictions, 'the finished job keeps its result');
  const status = await fresh.app.inject({ url: `/v1/jobs/${jobId}`, headers: bearer(caller.key) });
  t.equal(status.json().status, 'succeeded');
  t.equal(status.json().rows_done, 50);
});

t.test('a full state Redis: new jobs and keys get 503, existing keys keep working', async (t) => {
  const state = await RedisProcess.start(t, 38021, [...STATE_ARGS, '--maxmemory', '2mb']);
  const { gw } = await keysGateway(t, state);
  const caller = await createKey(gw.app, {
    scopes: ['predict', 'jobs'],
    rows_per_day: 100_000,
  });
  await waitServing(gw.app, caller.key);

  // Something else fills the state Redis until even 16 bytes are refused (state-redis.test.ts).
  const filler = state.client();
  await filler.connect();
  t.teardown(() => filler.close());
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
  t.match(String(refused), /OOM/, `full after ${fillers} filler keys`);

  const job = await submitJob(gw.app, caller.key, irisRows(20, 3));
  t.equal(job.statusCode, 503, `a new job is refused: ${job.body}`);
  t.equal(job.json().code, 'UNAVAILABLE');
  t.match(job.json().error, /state store is full: the job was not stored/);
  t.ok(Number(job.headers['retry-after']) > 0, 'with Retry-After');

  const key = await gw.app.inject({
    method: 'POST',
    url: '/admin/keys',
    headers: bearer(ADMIN_KEY),
    payload: { name: 't-full' },
  });
  t.equal(key.statusCode, 503, `a new key is refused: ${key.body}`);
  t.equal(key.json().code, 'UNAVAILABLE');
  t.match(key.json().error, /state store is full: the API key was not stored/);

  const served = await predict(gw.app, caller.key, irisRows(3, 9));
  t.equal(served.statusCode, 200, `the existing key still predicts: ${served.body.slice(0, 200)}`);
  t.equal(served.json().predictions.length, 3);
  const usage = await gw.app.inject({ url: '/v1/usage', headers: bearer(caller.key) });
  t.equal(usage.statusCode, 200, 'and reads its usage');
  t.equal(Number((await state.info('stats')).evicted_keys), 0, 'the state Redis evicted nothing');

  // Room again: jobs are taken again.
  for (let i = 0; i < fillers; i++) await filler.del(`filler:${i}`);
  const again = await submitJob(gw.app, caller.key, irisRows(20, 3));
  t.equal(again.statusCode, 202, again.body.slice(0, 200));
  t.equal(await settledJob(gw.app, caller.key, again.json().job_id), 'succeeded');
});

t.test('a job running across a restart of the state Redis completes', async (t) => {
  const state = await RedisProcess.start(t, 38022, STATE_ARGS);
  // One row a chunk and one chunk at a time on the worker: the job is 1500 round trips, so it
  // is surely still running when the worker is frozen. The gateway keeps the frozen worker live.
  const { gw, worker } = await keysGateway(
    t,
    state,
    { JOB_CHUNK_ROWS: '1', PRESENCE_SILENCE_MS: '120000' },
    { JOB_PREFETCH: '1' },
  );
  const caller = await createKey(gw.app, { scopes: ['predict', 'jobs'] });
  await waitServing(gw.app, caller.key);
  const rows = irisRows(1500, 17);
  // The same rows answered interactively (750 a request), to compare with the job's result.
  const expected: number[] = [];
  for (let i = 0; i < rows.length; i += 750) {
    const res = await predict(gw.app, caller.key, rows.slice(i, i + 750));
    t.equal(res.statusCode, 200);
    expected.push(...res.json().predictions);
  }

  // The worker is frozen (SIGSTOP) while the job is submitted, thawed until it has answered some
  // chunks, frozen again; the state Redis then stops, and the worker answers the chunk it holds
  // while it is down (the gateway requeues what it cannot record). The rest comes after.
  const frozen = () => worker.child.kill('SIGSTOP');
  const thawed = () => worker.child.kill('SIGCONT');
  t.teardown(thawed);
  frozen();
  const submitted = await submitJob(gw.app, caller.key, rows);
  t.equal(submitted.statusCode, 202, submitted.body.slice(0, 200));
  const jobId = submitted.json().job_id as string;
  const statusOf = async () =>
    (await gw.app.inject({ url: `/v1/jobs/${jobId}`, headers: bearer(caller.key) })).json();
  t.equal((await statusOf()).status, 'queued', 'queued while the worker is frozen');
  thawed();
  await waitFor('the job to start', async () => (await statusOf()).rows_done > 0);
  frozen();
  try {
    const midway = await statusOf();
    t.equal(midway.status, 'running', `running when the state Redis stops`);
    t.ok(
      midway.rows_done < rows.length,
      `with rows still to do (${midway.rows_done} of ${rows.length} done)`,
    );
    await state.stop('SIGTERM');
    await waitFor('the gateway sees the state Redis go', async () => {
      return (await gw.app.inject({ url: '/health/ready' })).json().redis?.state === 'down';
    });
  } finally {
    thawed();
  }
  await state.start();
  t.equal(await settledJob(gw.app, caller.key, jobId), 'succeeded', 'the job completes');
  const done = await statusOf();
  t.equal(done.rows_done, rows.length, 'every row once');
  const result = await gw.app.inject({
    url: `/v1/jobs/${jobId}/result`,
    headers: bearer(caller.key),
  });
  t.equal(result.statusCode, 200);
  t.same(result.json().predictions, expected, 'the same answers as /predict');
});
