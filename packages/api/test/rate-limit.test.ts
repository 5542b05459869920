import t from 'tap';
import { createRedisClient } from '../src/redis-client.js';
import { startGateway, unique } from './helpers/stack.js';

const body = { model_name: 'not-announced', input_data: [[1, 2, 3, 4]] };

t.test('over the limit a caller gets 429 with Retry-After and the error body', async (t) => {
  const gw = await startGateway(t, { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' });
  const key = { 'x-api-key': unique('key') };
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await gw.app.inject({
      method: 'POST',
      url: '/predict',
      headers: key,
      payload: body,
    });
    statuses.push(res.statusCode);
  }
  t.same(statuses, [404, 404, 404], 'three requests within the limit');
  const limited = await gw.app.inject({
    method: 'POST',
    url: '/predict',
    headers: key,
    payload: body,
  });
  t.equal(limited.statusCode, 429);
  t.equal(limited.json().code, 'RATE_LIMITED');
  t.ok(limited.json().request_id);
  const retryAfter = Number(limited.headers['retry-after']);
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${retryAfter}`);

  const other = await gw.app.inject({
    method: 'POST',
    url: '/predict',
    headers: { 'x-api-key': unique('key') },
    payload: body,
  });
  t.equal(other.statusCode, 404, 'another API key has its own budget');
  const byIp = await gw.app.inject({ method: 'POST', url: '/predict', payload: body });
  t.equal(byIp.statusCode, 404, 'without a key the budget is per IP');
  t.equal(
    (await gw.app.inject({ url: '/health/ready' })).statusCode,
    200,
    'probes are never limited',
  );
});

t.test('with RATE_LIMIT_MAX=0 there is no limit', async (t) => {
  const gw = await startGateway(t, { RATE_LIMIT_MAX: '0' });
  for (let i = 0; i < 20; i++) {
    const res = await gw.app.inject({ method: 'POST', url: '/predict', payload: body });
    if (res.statusCode === 429) t.fail('limited');
  }
  t.pass('twenty requests, none limited');
});

t.test('with Redis two gateways share one budget', async (t) => {
  const env = {
    RATE_LIMIT_MAX: '4',
    RATE_LIMIT_WINDOW_MS: '60000',
    REDIS_URL: 'redis://127.0.0.1:6379',
  };
  const a = await startGateway(t, env);
  const b = await startGateway(t, env);
  const apiKey = unique('shared-key');
  const headers = { 'x-api-key': apiKey };
  const seen: number[] = [];
  for (const gw of [a, b, a, b, a, b]) {
    seen.push(
      (await gw.app.inject({ method: 'POST', url: '/predict', headers, payload: body })).statusCode,
    );
  }
  t.same(
    seen,
    [404, 404, 404, 404, 429, 429],
    'the fifth request is limited whichever replica gets it',
  );

  // The counter lives under a hashed key, never the API key itself, and expires.
  const redis = createRedisClient('redis://127.0.0.1:6379', () => {});
  await redis.connect();
  t.teardown(() => redis.close());
  const keys = await redis.keys('mlapi:v1:rl:k:*');
  t.notOk(
    keys.some((k) => k.includes(apiKey)),
    'the API key is not stored in clear',
  );
  for (const k of keys) {
    const ttl = await redis.pTTL(k);
    if (ttl <= 0) t.fail(`${k} has no TTL`);
    await redis.del(k);
  }
});

t.test(
  'a rate-limit store that cannot reach Redis lets requests through and counts it',
  async (t) => {
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
  },
);
