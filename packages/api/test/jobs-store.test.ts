import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import { loadConfig } from '../src/config.js';
import { ApiError } from '../src/errors.js';
import { FileJobStore } from '../src/jobs/file-job-store.js';
import { JobBroker } from '../src/jobs/job-broker.js';
import { JobService } from '../src/jobs/job-service.js';
import type { JobStore, NewJob } from '../src/jobs/job-store.js';
import { RedisJobStore } from '../src/jobs/redis-job-store.js';
import { WebhookSender } from '../src/jobs/webhook.js';
import { createLogger } from '../src/logger.js';
import type { Predictor } from '../src/predictor.js';
import { closeRedis, createRedisClient } from '../src/redis-client.js';
import { REDIS_URL, STORE_KINDS, type StoreKind, storeDir } from './helpers/jobs.js';
import { AMQP_URL } from './helpers/stack.js';

async function openStore(t: Test, kind: StoreKind, dir: string): Promise<JobStore> {
  if (kind === 'file') {
    const store = new FileJobStore(dir, 3600);
    await store.open();
    return store;
  }
  const redis = createRedisClient(REDIS_URL, () => {});
  await redis.connect();
  t.teardown(() => closeRedis(redis));
  return new RedisJobStore(redis, 3600);
}

function newJob(owner = 'anonymous'): NewJob {
  return {
    job_id: randomUUID(),
    owner,
    model_name: 'fast',
    model_version: '1',
    labels: ['a', 'b', 'c'],
    callback_url: null,
    created_at: Date.now(),
  };
}

const answers = (n: number) => ({
  predictions: Array.from({ length: n }, (_, i) => i % 3),
  probabilities: Array.from({ length: n }, () => [0.2, 0.3, 0.5]),
});

for (const kind of STORE_KINDS) {
  t.test(`${kind} store: a redelivered chunk is counted once`, async (t) => {
    const store = await openStore(t, kind, await storeDir(t));
    const job = newJob();
    await store.create(job);
    t.equal(await store.recordChunk(job.job_id, 0, answers(10), Date.now()), 'recorded');
    t.equal(await store.recordChunk(job.job_id, 0, answers(10), Date.now()), 'duplicate');
    t.equal(await store.recordChunk(job.job_id, 1, answers(5), Date.now()), 'recorded');
    t.equal(await store.seal(job.job_id, 15, 2, Date.now()), 'finished');
    t.equal(await store.recordChunk(job.job_id, 1, answers(5), Date.now()), 'ignored');
    const done = await store.get(job.job_id);
    t.equal(done?.status, 'succeeded');
    t.equal(done?.rows_done, 15);
    t.equal(done?.chunks_done, 2);
    const events = await store.events(job.job_id, -1);
    t.ok(events.length >= 3, `${events.length} events`);
    t.same(
      events.map((e) => e.id),
      events.map((_, i) => i),
      'event ids count from 0 with no gap',
    );
    t.equal(events.at(-1)?.data.status, 'succeeded');
    t.same(await store.events(job.job_id, 1), events.slice(2), 'events after an id resume there');
    await store.close();
  });

  t.test(`${kind} store: only one caller wins a terminal transition`, async (t) => {
    const store = await openStore(t, kind, await storeDir(t));
    const job = newJob();
    await store.create(job);
    const wins = await Promise.all([
      store.finish(job.job_id, 'canceled', ['queued', 'running'], null, Date.now()),
      store.finish(job.job_id, 'expired', ['queued'], null, Date.now()),
    ]);
    t.same(
      wins.filter((w) => w),
      [true],
    );
    t.equal(await store.recordChunk(job.job_id, 0, answers(1), Date.now()), 'ignored');
    await store.close();
  });

  t.test(`${kind} store: an Idempotency-Key is claimed once`, async (t) => {
    const store = await openStore(t, kind, await storeDir(t));
    const key = randomUUID();
    t.equal(await store.claimIdempotency('o', key, 'job-1'), null);
    t.same(await store.claimIdempotency('o', key, 'job-2'), { job_id: 'job-1', body_hash: null });
    await store.setIdempotencyHash('o', key, 'h');
    const held = await store.claimIdempotency('o', key, 'job-3');
    t.equal(held?.job_id, 'job-1');
    t.equal(held?.body_hash, 'h');
    t.equal(await store.claimIdempotency('another owner', key, 'job-4'), null);
    await store.close();
  });
}

t.test('the file store keeps jobs across a restart, chunks counted from their files', async (t) => {
  const dir = await storeDir(t);
  const first = new FileJobStore(dir, 3600);
  await first.open();
  const job = newJob();
  await first.create(job);
  await first.recordChunk(job.job_id, 0, answers(4), Date.now());
  await first.close();

  const second = new FileJobStore(dir, 3600);
  await second.open();
  t.equal((await second.get(job.job_id))?.rows_done, 4);
  t.equal(await second.recordChunk(job.job_id, 0, answers(4), Date.now()), 'duplicate');
  t.equal(await second.seal(job.job_id, 4, 1, Date.now()), 'finished');
  t.same(await second.chunk(job.job_id, 0), answers(4));
  t.same(
    (await second.events(job.job_id, -1)).map((e) => e.id),
    [0, 1, 2, 3],
  );
  await second.close();
});

t.test("another caller's job is NOT_FOUND", async (t) => {
  const store = new FileJobStore(await storeDir(t), 3600);
  await store.open();
  const job = newJob('key-a');
  await store.create(job);
  const logger = createLogger(loadConfig({ LOG_LEVEL: 'silent' }));
  // Never started: get() reads only the store.
  const service = new JobService({
    store,
    broker: new JobBroker({ url: AMQP_URL, connectionName: 'unused', logger, resultPrefetch: 1 }),
    predictor: {} as Predictor,
    webhook: new WebhookSender({ secret: null, logger }),
    logger,
    chunkRows: 10,
    maxRows: 100,
    queueTtlSeconds: 60,
  });
  t.equal((await service.get('key-a', job.job_id)).job_id, job.job_id);
  const err = await service.get('key-b', job.job_id).catch((e: unknown) => e);
  t.ok(err instanceof ApiError);
  t.equal((err as ApiError).code, 'NOT_FOUND');
});
