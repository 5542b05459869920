import { randomInt } from 'node:crypto';
import t from 'tap';
import { createRedisClient } from '../src/redis-client.js';
import { startGateway } from './helpers/stack.js';

const body = { model_name: 'not-announced', input_data: [[1, 2, 3, 4]] };

/** An address of this test's own, so no other run's counter is shared. */
function uniqueIp(): string {
  return `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
}

t.test('over the limit a caller gets 429 with Retry-After and the error body', async (t) => {
  const gw = await startGateway(t, { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' });
  const ip = uniqueIp();
  const send = (headers: Record<string, string> = {}, remoteAddress = ip) =>
    gw.app.inject({ method: 'POST', url: '/predict', headers, payload: body, remoteAddress });
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await send()).statusCode);
  t.same(statuses, [404, 404, 404], 'three requests within the limit');
  const limited = await send();
  t.equal(limited.statusCode, 429);
  t.equal(limited.json().code, 'RATE_LIMITED');
  t.ok(limited.json().request_id);
  const retryAfter = Number(limited.headers['retry-after']);
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${retryAfter}`);
  t.match(limited.headers['ratelimit-policy'], /"requests";q=3;w=60/);
  t.match(limited.headers.ratelimit, /"requests";r=0;t=\d+/);

  // With auth off the budget is the address's: a header of one's choosing buys nothing.
  const freshHeader = await send({ 'x-api-key': `made-up-${randomInt(1e9)}` });
  t.equal(freshHeader.statusCode, 429, 'a fresh x-api-key value does not get a fresh budget');
  const freshBearer = await send({ authorization: `Bearer made-up-${randomInt(1e9)}` });
  t.equal(freshBearer.statusCode, 429, 'nor does a fresh bearer token');
  const otherIp = await send({}, uniqueIp());
  t.equal(otherIp.statusCode, 404, 'another address has its own budget');
  t.equal(
    (await gw.app.inject({ url: '/health/ready', remoteAddress: ip })).statusCode,
    200,
    'probes are never limited',
  );
});

t.test('with RATE_LIMIT_MAX=0 there is no limit', async (t) => {
  const gw = await startGateway(t, { RATE_LIMIT_MAX: '0' });
  const statuses = new Set<number>();
  for (let i = 0; i < 20; i++) {
    statuses.add(
      (await gw.app.inject({ method: 'POST', url: '/predict', payload: body })).statusCode,
    );
  }
  t.same([...statuses], [404], 'twenty requests, none limited');
});

t.test('with Redis two gateways share one budget', async (t) => {
  const env = {
    RATE_LIMIT_MAX: '4',
    RATE_LIMIT_WINDOW_MS: '60000',
    REDIS_URL: 'redis://127.0.0.1:6379',
  };
  const a = await startGateway(t, env);
  const b = await startGateway(t, env);
  const ip = uniqueIp();
  const seen: number[] = [];
  for (const gw of [a, b, a, b, a, b]) {
    seen.push(
      (await gw.app.inject({ method: 'POST', url: '/predict', payload: body, remoteAddress: ip }))
        .statusCode,
    );
  }
  t.same(
    seen,
    [404, 404, 404, 404, 429, 429],
    'the fifth request is limited whichever replica gets it',
  );

  const redis = createRedisClient('redis://127.0.0.1:6379', () => {});
  await redis.connect();
  t.teardown(() => redis.close());
  const keys = (await redis.keys(`mlapi:v1:use:{ip:${ip}}:*`)).sort();
  t.equal(keys.length, 3, 'three counters: requests, rows today, rows this month');
  const maxTtl: Record<string, number> = { r: 120_000, d: 86_460_000, m: 31 * 86_400_000 + 60_000 };
  for (const k of keys) {
    const kind = /\}:([rdm])/.exec(k)?.[1] ?? '?';
    // The model is unknown: no row was answered, so the rows went back.
    t.equal(await redis.get(k), kind === 'r' ? '4' : '0', `${k}: refused requests cost nothing`);
    const ttl = await redis.pTTL(k);
    t.ok(ttl > 0 && ttl <= (maxTtl[kind] ?? 0), `${k} expires (${ttl} ms)`);
    await redis.del(k);
  }
});

t.test('a limiter that cannot reach Redis lets requests through and counts it', async (t) => {
  const gw = await startGateway(t, {
    RATE_LIMIT_MAX: '1',
    REDIS_URL: 'redis://127.0.0.1:1', // nothing listens there
  });
  for (let i = 0; i < 3; i++) {
    const res = await gw.app.inject({ method: 'POST', url: '/predict', payload: body });
    t.equal(res.statusCode, 404, 'not limited, not a 5xx');
  }
  const metrics = (await gw.app.inject({ url: '/metrics' })).body;
  t.match(metrics, /rate_limit_store_errors_total [3-9]/);
});
