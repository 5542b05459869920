import { spawn } from 'node:child_process';
import { once } from 'node:events';
import t from 'tap';
import { MemoryUsageLimiter } from '../src/identity/memory-usage-limiter.js';
import { RedisUsageLimiter } from '../src/identity/redis-usage-limiter.js';
import type { UsageLimiter } from '../src/identity/usage-limiter.js';
import { usageWindows } from '../src/identity/usage-windows.js';
import { createRedisClient } from '../src/redis-client.js';
import { ADMIN_KEY, authEnv, bearer, createKey, STORES } from './helpers/identity.js';
import {
  spawnWorker,
  startGateway,
  unique,
  uniqueModel,
  waitFor,
  waitLive,
} from './helpers/stack.js';

const ROW = [5.1, 3.5, 1.4, 0.2];
const rows = (n: number) => Array.from({ length: n }, () => ROW);

t.test('quotas are exact under 64 concurrent callers', async (t) => {
  const { name, dir } = await uniqueModel(t, 'fast');
  spawnWorker(t, dir);
  for (const store of STORES) {
    await t.test(`${store} store`, async (t) => {
      const gw = await startGateway(t, await authEnv(t, store));
      await waitLive(gw, name);
      const key = await createKey(gw.app, { models: [name], rows_per_day: 100 });
      const answers = await Promise.all(
        Array.from({ length: 64 }, () =>
          gw.app.inject({
            method: 'POST',
            url: '/predict',
            headers: bearer(key.key),
            payload: { model_name: name, input_data: rows(3) },
          }),
        ),
      );
      const ok = answers.filter((a) => a.statusCode === 200);
      const refused = answers.filter((a) => a.statusCode === 429);
      t.equal(ok.length + refused.length, 64, 'every answer is a 200 or a 429');
      t.equal(ok.length, 33, 'exactly floor(100 / 3) requests are served: no overshoot');
      const first = refused[0];
      t.ok(first !== undefined, 'some are refused');
      t.equal(first?.json().code, 'QUOTA_EXCEEDED');
      const retryAfter = Number(first?.headers['retry-after']);
      t.ok(
        retryAfter >= 1 && retryAfter <= 86_400,
        `Retry-After until midnight UTC: ${retryAfter}`,
      );
      t.match(String(ok[0]?.headers['ratelimit-policy']), /"rows-day";q=100;w=86400/);
      const usage = await gw.app.inject({ url: '/v1/usage', headers: bearer(key.key) });
      t.equal(usage.statusCode, 200);
      t.match(usage.json(), {
        key_id: key.id,
        scopes: ['predict'],
        rows_today: { limit: 100, used: 99, remaining: 1 },
      });
      t.ok(Date.parse(usage.json().rows_today.resets_at) > Date.now(), 'a reset time ahead');

      // A request refused for quota costs nothing; an unanswered one gives its rows back.
      const bigger = await gw.app.inject({
        method: 'POST',
        url: '/predict',
        headers: bearer(key.key),
        payload: { model_name: name, input_data: rows(2) },
      });
      t.equal(bigger.statusCode, 429);
      const oneMore = await gw.app.inject({
        method: 'POST',
        url: '/predict',
        headers: bearer(key.key),
        payload: { model_name: name, input_data: rows(1) },
      });
      t.equal(oneMore.statusCode, 200, 'the last row left is still there');
      const metrics = await gw.app.inject({ url: '/metrics', headers: bearer(ADMIN_KEY) });
      t.match(metrics.body, new RegExp(`api_key_rows_total\\{key_id="${key.id}"\\} 100`));
      t.match(
        metrics.body,
        new RegExp(`api_key_requests_total\\{key_id="${key.id}",status="429"\\} 32`),
      );
    });
  }
});

t.test('windows reset: requests each window, rows each day and month', async (t) => {
  const redis = createRedisClient('redis://127.0.0.1:6379', () => {});
  await redis.connect();
  t.teardown(() => redis.close());
  const limiters: [string, UsageLimiter][] = [
    ['redis', new RedisUsageLimiter(redis)],
    ['embedded', new MemoryUsageLimiter()],
  ];
  t.equal(limiters.length, 2);
  for (const [kind, limiter] of limiters) {
    const subject = unique(`reset-${kind}`);
    const limits = { requestsPerMinute: 2, rowsPerDay: 10, rowsPerMonth: 15 };
    const start = Date.UTC(2030, 0, 31, 23, 58, 0);
    const at = (ms: number) => usageWindows(ms, 60_000);
    const refusals: (string | null)[] = [];
    for (const ms of [start, start + 1, start + 2]) {
      refusals.push((await limiter.consume(subject, limits, 4, at(ms))).refusal);
    }
    t.same(refusals, [null, null, 'requests'], `${kind}: the third request in a minute is refused`);
    const nextMinute = await limiter.consume(subject, limits, 4, at(start + 60_000));
    t.equal(nextMinute.refusal, 'day', `${kind}: 8 + 4 rows pass the day's 10`);
    const nextDay = start + 121_000; // 1 February: a new day and a new month
    const fresh = await limiter.consume(subject, limits, 4, at(nextDay));
    t.equal(fresh.refusal, null, `${kind}: the new day and month start from zero`);
    t.same(fresh.usage, { requests: 1, rowsToday: 4, rowsThisMonth: 4 });
    const sameMonth = Date.UTC(2030, 1, 2, 0, 0, 0);
    await limiter.consume(subject, limits, 8, at(sameMonth));
    const month = await limiter.consume(subject, limits, 4, at(sameMonth + 86_400_000));
    t.equal(month.refusal, 'month', `${kind}: 12 + 4 rows pass the month's 15`);
    if (kind === 'redis') {
      const keys = await redis.keys(`mlapi:v1:use:{${subject}}:*`);
      t.ok(keys.length >= 3, 'counters were written');
      await redis.del(keys);
    }
  }
});

t.test('Redis killed: requests are still served and the failures counted', async (t) => {
  const port = 33031;
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const exited = once(server, 'exit');
  t.teardown(async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGKILL');
      await exited;
    }
  });
  const probe = createRedisClient(`redis://127.0.0.1:${port}`, () => {});
  await waitFor('the private Redis', async () => {
    try {
      if (!probe.isOpen) await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    }
  });
  await probe.close();

  const { name, dir } = await uniqueModel(t, 'fast');
  spawnWorker(t, dir);
  const env = await authEnv(t, 'redis', { REDIS_URL: `redis://127.0.0.1:${port}` });
  const gw = await startGateway(t, env);
  await waitLive(gw, name);
  await waitFor('the gateway on Redis', () => gw.owned.deps.redis?.isReady === true);
  const key = await createKey(gw.app, { models: [name], rate_limit_per_minute: 1000 });
  const predict = () =>
    gw.app.inject({
      method: 'POST',
      url: '/predict',
      headers: bearer(key.key),
      payload: { model_name: name, input_data: rows(1) },
    });
  t.equal((await predict()).statusCode, 200, 'served while Redis is up');

  server.kill('SIGKILL');
  await exited;
  const adminKey = env.ADMIN_API_KEY ?? '';
  const scrape = async () =>
    (await gw.app.inject({ url: '/metrics', headers: bearer(adminKey) })).body;
  // Until the key's cached record is old enough to be read again, and that read fails.
  const served = new Set<number>();
  let sent = 0;
  await waitFor('a failed key store read', async () => {
    served.add((await predict()).statusCode);
    sent++;
    return /^key_store_errors_total [1-9]/m.test(await scrape());
  });
  t.ok(sent >= 1, `${sent} requests sent with Redis gone`);
  t.same([...served], [200], 'every one served');
  const metrics = await scrape();
  const limiterErrors = Number(/^rate_limit_store_errors_total (\d+)/m.exec(metrics)?.[1]);
  t.ok(limiterErrors >= 3, `limiter failures counted: ${limiterErrors}`);
  t.match(metrics, /^key_store_errors_total [1-9]/m, 'key store failures counted');
});
