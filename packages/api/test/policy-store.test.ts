import { randomBytes } from 'node:crypto';
import { parseTrafficPolicy } from '@mlapi/contracts';
import t from 'tap';
import { createRedisClient } from '../src/redis-client.js';
import type { TrafficRecord } from '../src/traffic/policy-store.js';
import { RedisPolicyStore } from '../src/traffic/redis-policy-store.js';
import { freePort, waitFor } from './helpers/stack.js';

const record = (
  model: string,
  revision: number,
  weights: Record<string, number>,
): TrafficRecord => ({
  model,
  policy: parseTrafficPolicy({ weights }),
  buckets: [{ version: Object.keys(weights)[0] as string, from: 0, to: 10_000 }],
  revision,
  updated_at: new Date(0).toISOString(),
  rollbacks: [],
});

t.test('the Redis store shares records between replicas with compare-and-set', async (t) => {
  const key = `mlapi:test:traffic:${process.pid}:${randomBytes(3).toString('hex')}`;
  const redis = createRedisClient('redis://127.0.0.1:6379', () => {});
  await redis.connect();
  t.teardown(async () => {
    await redis.del(key);
    await redis.close();
  });
  const errors: unknown[] = [];
  const bad: string[] = [];
  const a = new RedisPolicyStore(redis, { key, pollMs: 50, onError: (e) => errors.push(e) });
  const b = new RedisPolicyStore(redis, { key, pollMs: 50, onBadRecord: (m) => bad.push(m) });
  await a.start();
  await b.start();
  t.teardown(async () => {
    await a.close();
    await b.close();
  });

  t.equal(await a.compareAndSet('m', 0, record('m', 1, { '1': 1 })), true);
  t.equal(a.get('m')?.revision, 1, 'the writer applies its write at once');
  await waitFor('the other replica to read it', () => b.get('m')?.revision === 1);
  t.equal(await b.compareAndSet('m', 0, record('m', 1, { '2': 1 })), false, 'a stale writer loses');
  t.equal(await b.compareAndSet('m', 1, record('m', 2, { '2': 1 })), true);
  await waitFor('the first replica to follow', () => a.get('m')?.revision === 2);
  t.same(a.get('m')?.policy.weights, { '2': 1 });

  await redis.hSet(key, 'broken', '{"model":"broken","policy":{}}');
  await waitFor('the bad record to be seen', () => bad.includes('broken'));
  t.equal(b.get('broken'), undefined, 'a record that cannot be used is ignored');
  t.equal(await a.compareAndSet('m', 2, null), true, 'delete');
  await waitFor('the delete everywhere', () => b.get('m') === undefined);
  t.same(errors, []);
});

t.test('while Redis is unreachable the last records stay and errors are reported', async (t) => {
  // A real client for a port nothing listens on: every command fails at once (no offline queue).
  const failing = createRedisClient(`redis://127.0.0.1:${await freePort()}`, () => {});
  failing.connect().catch(() => {});
  t.teardown(() => failing.destroy());
  const errors: unknown[] = [];
  const store = new RedisPolicyStore(failing, { pollMs: 10, onError: (e) => errors.push(e) });
  await store.start();
  t.teardown(() => store.close());
  await waitFor('a failed poll', () => errors.length >= 2);
  await t.rejects(store.compareAndSet('m', 0, null));
  t.throws(() => new RedisPolicyStore(failing, { pollMs: 1 }), TypeError);
});
