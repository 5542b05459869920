import type { Test } from 'tap';
import t from 'tap';
import type { CallerLimits } from '../src/identity/key-record.js';
import {
  RedisUsageLimiter,
  type RedisUsageLimiterOptions,
} from '../src/identity/redis-usage-limiter.js';
import { usageWindows } from '../src/identity/usage-windows.js';
import { createRedisClient, type RedisClient } from '../src/redis-client.js';
import { unique, waitFor } from './helpers/stack.js';

// The shared limiter's leases (redis-usage-limiter.ts) on the real Redis: far from its limits a
// caller spends budget taken ahead of need, with no round trip per request; the limits still hold
// to the unit across replicas, and every replica reports the same usage once the spender settles.

const WINDOW_MS = 60_000;
const windows = () => usageWindows(Date.now(), WINDOW_MS);
const FAR: CallerLimits = { requestsPerMinute: 1_000_000, rowsPerDay: 1e9, rowsPerMonth: 1e10 };

const redis = createRedisClient('redis://127.0.0.1:6379', () => {});
let evals = 0;
// The real client, with its script calls counted: how many round trips the limiter made.
const counted = new Proxy(redis, {
  get(target, property, receiver) {
    if (property === 'eval') {
      return (...args: Parameters<RedisClient['eval']>) => {
        evals++;
        return target.eval(...args);
      };
    }
    const value = Reflect.get(target, property, receiver);
    return typeof value === 'function' ? value.bind(target) : value;
  },
});

t.before(() => redis.connect());
t.teardown(() => redis.close());

function subjectFor(t: Test, name: string): string {
  const subject = unique(name);
  t.teardown(async () => {
    const keys = await redis.keys(`mlapi:v1:use:{${subject}}:*`);
    if (keys.length > 0) await redis.del(keys);
  });
  return subject;
}

function limiter(t: Test, options: RedisUsageLimiterOptions = {}): RedisUsageLimiter {
  const made = new RedisUsageLimiter(counted, options);
  t.teardown(() => made.close());
  return made;
}

t.test('far from its limits, a caller costs a round trip per lease, not per request', async (t) => {
  const subject = subjectFor(t, 'lease-far');
  const replica = limiter(t);
  evals = 0;
  for (let i = 0; i < 10_000; i++) {
    const decision = await replica.consume(subject, FAR, 2, windows());
    if (decision.refusal !== null) t.fail(`request ${i} refused: ${decision.refusal}`);
  }
  // Leases of at most 4,096 requests: at least 3 round trips, and none per request.
  t.ok(evals >= 3 && evals <= 10, `10,000 requests took ${evals} round trips`);
  t.same(await replica.usage(subject, windows()), {
    requests: 10_000,
    rowsToday: 20_000,
    rowsThisMonth: 20_000,
  });
});

t.test('near a limit, every request is checked in Redis', async (t) => {
  const subject = subjectFor(t, 'lease-near');
  const replica = limiter(t);
  const limits: CallerLimits = { requestsPerMinute: null, rowsPerDay: 1000, rowsPerMonth: null };
  evals = 0;
  for (let i = 0; i < 20; i++) await replica.consume(subject, limits, 1, windows());
  t.equal(evals, 20, '1000 rows a day is under the 1024 units a lease needs left');
});

t.test('two replicas under 64 concurrent callers: the quota holds to the unit', async (t) => {
  const subject = subjectFor(t, 'lease-exact');
  const a = limiter(t, { leases: { settleMs: 20 } });
  const b = limiter(t, { leases: { settleMs: 20 } });
  const limits: CallerLimits = { requestsPerMinute: null, rowsPerDay: 20_000, rowsPerMonth: null };
  const served = { a: 0, b: 0 };
  // Each caller sends 7-row requests until it is refused.
  const caller = async (replica: RedisUsageLimiter, name: 'a' | 'b') => {
    for (;;) {
      const decision = await replica.consume(subject, limits, 7, windows());
      if (decision.refusal !== null) {
        t.equal(decision.refusal, 'day');
        return;
      }
      served[name]++;
    }
  };
  await Promise.all(
    Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? caller(a, 'a') : caller(b, 'b'))),
  );
  t.ok(served.a > 0 && served.b > 0, `both replicas served: ${served.a} and ${served.b}`);
  const rows = 7 * (served.a + served.b);
  t.ok(rows <= 20_000, `no overshoot: ${rows} rows served`);
  t.ok(rows > 20_000 - 7, `nothing lost: ${20_000 - rows} rows left, fewer than one request's`);
  await a.close();
  await b.close();
  const third = limiter(t);
  t.equal((await third.usage(subject, windows())).rowsToday, rows, 'a third replica agrees');
});

t.test("another replica's usage shows within a settle period", async (t) => {
  const subject = subjectFor(t, 'lease-visible');
  const spender = limiter(t, { leases: { settleMs: 50 } });
  const watcher = limiter(t);
  for (let i = 0; i < 100; i++) await spender.consume(subject, FAR, 3, windows());
  t.same(await spender.usage(subject, windows()), {
    requests: 100,
    rowsToday: 300,
    rowsThisMonth: 300,
  });
  await spender.consume(subject, FAR, 3, windows());
  await waitFor(
    'the watcher to see the 101st request',
    async () => (await watcher.usage(subject, windows())).rowsToday === 303,
    5_000,
  );
  t.pass('seen');
});

t.test('a refund gives rows back, from a lease or not', async (t) => {
  const subject = subjectFor(t, 'lease-refund');
  const replica = limiter(t);
  const w = windows();
  await replica.consume(subject, FAR, 10, w);
  await replica.consume(subject, FAR, 5, w);
  await replica.refund(subject, 5, w);
  t.same(await replica.usage(subject, w), { requests: 2, rowsToday: 10, rowsThisMonth: 10 });
  await replica.close();
  t.same(await limiter(t).usage(subject, w), { requests: 2, rowsToday: 10, rowsThisMonth: 10 });
});

t.test("a dead replica's unused lease counts as used once it expires", async (t) => {
  const subject = subjectFor(t, 'lease-dead');
  // A settle period longer than the test: this replica never reports, as if it had died.
  const dead = new RedisUsageLimiter(counted, { leases: { ttlMs: 300, settleMs: 600_000 } });
  const watcher = limiter(t);
  const limits: CallerLimits = {
    requestsPerMinute: null,
    rowsPerDay: 1_600_000,
    rowsPerMonth: null,
  };
  await dead.consume(subject, limits, 1, windows());
  t.equal((await watcher.usage(subject, windows())).rowsToday, 1, 'while live, held is not used');
  // The lease took min(65,536, (1,600,000 - 1) / 16) rows.
  await waitFor(
    'the lease to expire',
    async () => (await watcher.usage(subject, windows())).rowsToday === 1 + 65_536,
    5_000,
  );
  t.pass('the expired lease counts as used: it can never be handed out twice');
});

t.test('a new window takes a new lease and gives the old one back', async (t) => {
  const subject = subjectFor(t, 'lease-window');
  const replica = limiter(t);
  const minute = Date.UTC(2031, 5, 1, 10, 0, 0);
  const first = usageWindows(minute, WINDOW_MS);
  const second = usageWindows(minute + WINDOW_MS, WINDOW_MS);
  for (let i = 0; i < 3; i++) await replica.consume(subject, FAR, 1, first);
  await replica.consume(subject, FAR, 1, second);
  const watcher = limiter(t);
  await waitFor(
    'the old lease to be given back',
    async () => {
      const [counter] = await redis.mGet([`mlapi:v1:use:{${subject}}:${first.requestsId}`]);
      return counter === '3';
    },
    5_000,
  );
  t.same(await watcher.usage(subject, second), { requests: 1, rowsToday: 4, rowsThisMonth: 4 });
});
