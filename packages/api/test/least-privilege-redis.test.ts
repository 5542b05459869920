// The Redis ACL users of k8s-config/redis/redis.yaml (the cache) and state-redis.yaml (the state
// Redis), each on a redis-server of this test's own: the gateway's cache, rate limits and quotas,
// traffic policies, API keys and a job work with exactly those rights (both ACL logs stay empty),
// and reaching outside them is refused.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createClient } from 'redis';
import t from 'tap';
import { aclRedis, OBSERVER } from './helpers/acl-redis.js';
import { ADMIN_KEY, bearer, createKey, PEPPER } from './helpers/identity.js';
import { ROOT, reference, spawnWorker, startGateway, waitFor, waitLive } from './helpers/stack.js';
import { privateVhost } from './helpers/vhost.js';

/** One command on a fresh socket, with no AUTH: the server's raw first reply line. */
async function rawCommand(port: number, args: string[]): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  socket.write(
    `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`,
  );
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  socket.destroy();
  return chunk.toString().split('\r\n')[0] ?? '';
}

// From the ports this work may use (36020-36049).
const CACHE_PORT = 36021;
const STATE_PORT = 36022;

t.test('the gateway works as its ACL users and reaches nothing else', async (t) => {
  const cachePassword = randomBytes(24).toString('hex');
  const statePassword = randomBytes(24).toString('hex');
  await aclRedis(t, CACHE_PORT, cachePassword, [], 'cache');
  // The state Redis must pass the gateway's durability check, as in production.
  await aclRedis(t, STATE_PORT, statePassword, ['--maxmemory-policy', 'noeviction'], 'state');
  const observe = async (port: number) => {
    const client = createClient({
      url: `redis://${OBSERVER.user}:${OBSERVER.password}@127.0.0.1:${port}`,
    });
    await client.connect();
    t.teardown(() => client.close());
    return client;
  };
  const cacheObserver = await observe(CACHE_PORT);
  const stateObserver = await observe(STATE_PORT);
  await cacheObserver.set('session:someone-else', 'secret');
  await stateObserver.set('session:someone-else', 'secret');

  const cacheUrl = `redis://mlapi-gateway:${cachePassword}@127.0.0.1:${CACHE_PORT}`;
  const stateUrl = `redis://mlapi-gateway:${statePassword}@127.0.0.1:${STATE_PORT}`;
  const amqpUrl = await privateVhost(t);
  const worker = spawnWorker(t, join(ROOT, 'models', 'fast'), { AMQP_URL: amqpUrl });
  const gateway = await startGateway(t, {
    AMQP_URL: amqpUrl,
    REDIS_URL: cacheUrl,
    STATE_REDIS_URL: stateUrl,
    STATE_REDIS_REQUIRE_DURABLE: 'true',
    AUTH: 'keys',
    API_KEY_PEPPER: PEPPER,
    ADMIN_API_KEY: ADMIN_KEY,
    RATE_LIMIT_MAX: '1000',
    ROWS_PER_DAY: '100000',
    ROWS_PER_MONTH: '1000000',
  });
  await waitLive(gateway, 'fast').catch((err: unknown) => {
    t.comment(worker.output());
    throw err;
  });
  const admin = bearer(ADMIN_KEY);

  await t.test('cache, limits, policies, keys and a job work', async (t) => {
    const expected = (await reference()).fast;
    const key = await createKey(gateway.app, {
      scopes: ['predict', 'jobs'],
      rate_limit_per_minute: 3,
    });
    const predict = () =>
      gateway.app.inject({
        method: 'POST',
        url: '/predict',
        headers: bearer(key.key),
        payload: { model_name: 'fast', input_data: expected.inputs },
      });
    const first = await predict();
    t.equal(first.statusCode, 200, 'answered through the cache and the limits');
    t.equal(first.json().cached, false);
    const second = await predict();
    t.equal(second.json().cached, true, 'the second answer comes from the cache Redis');
    t.same(second.json().predictions, expected.predictions);
    t.match(second.headers.ratelimit, /"requests";r=1;/, 'counted on the state Redis');
    t.equal((await predict()).statusCode, 200);
    const refused = await predict();
    t.equal(refused.statusCode, 429, "the key's own rate limit holds");
    t.equal(refused.json().code, 'RATE_LIMITED');

    const list = await gateway.app.inject({ method: 'GET', url: '/admin/keys', headers: admin });
    t.equal(list.statusCode, 200, list.body);
    t.ok(
      list.json().keys.some((k: { id: string }) => k.id === key.id),
      'the key is listed from the state Redis',
    );

    const put = await gateway.app.inject({
      method: 'PUT',
      url: '/admin/models/fast/traffic',
      headers: admin,
      payload: { weights: { '1': 100 } },
    });
    t.equal(put.statusCode, 200, put.body);
    const get = await gateway.app.inject({
      method: 'GET',
      url: '/admin/models/fast/traffic',
      headers: admin,
    });
    t.match(get.json(), { policy: { weights: { '1': 100 } } });

    // Another key: the first has spent its requests. Its rows count on the state Redis too.
    const jobKey = bearer((await createKey(gateway.app, { scopes: ['jobs'] })).key);
    const submitted = await gateway.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: jobKey,
      payload: { model_name: 'fast', input_data: expected.inputs },
    });
    t.equal(submitted.statusCode, 202, 'a job is accepted');
    const jobUrl = submitted.json().status_url as string;
    let status = '';
    await waitFor('the job to finish', async () => {
      const res = await gateway.app.inject({ method: 'GET', url: jobUrl, headers: jobKey });
      status = res.json().status;
      return !['queued', 'running'].includes(status);
    });
    t.equal(status, 'succeeded', 'a job runs on the state Redis');
    const result = await gateway.app.inject({
      method: 'GET',
      url: `${jobUrl}/result`,
      headers: jobKey,
    });
    t.same(result.json().predictions, expected.predictions);

    // An alias set and removed (HSET, HDEL on mlapi:aliases), then a key deleted (MULTI/EXEC).
    const alias = `lp-${randomBytes(3).toString('hex')}`;
    const aliasUrl = `/admin/aliases/${alias}`;
    const setAlias = await gateway.app.inject({
      method: 'PUT',
      url: aliasUrl,
      headers: admin,
      payload: { model: 'fast', version: '1' },
    });
    t.equal(setAlias.statusCode, 200, 'an alias is set');
    t.equal(
      (await gateway.app.inject({ method: 'DELETE', url: aliasUrl, headers: admin })).statusCode,
      200,
      'and removed',
    );
    const deleted = await gateway.app.inject({
      method: 'DELETE',
      url: `/admin/keys/${key.id}`,
      headers: admin,
    });
    t.equal(deleted.statusCode, 204, 'a key is deleted');
    t.equal((await predict()).statusCode, 401, 'and no longer opens anything');

    const cacheKeys = await cacheObserver.keys('mlapi:*');
    t.ok(cacheKeys.length > 0, 'the cache holds something');
    t.ok(
      cacheKeys.every((k) => k.startsWith('mlapi:v2:pred:')),
      'the cache holds cached predictions only',
    );
    const stateKeys = await stateObserver.keys('mlapi:*');
    for (const [prefix, what] of [
      ['mlapi:v1:use:', 'a rate-limit counter'],
      ['mlapi:v1:key:', 'an API key'],
      ['mlapi:traffic:policies', 'the policies hash'],
      ['mlapi:job:', 'a job'],
    ]) {
      t.ok(
        stateKeys.some((k) => k.startsWith(prefix as string)),
        `${what} on the state Redis`,
      );
    }
    t.notOk(
      stateKeys.some((k) => k.startsWith('mlapi:v2:pred:')),
      'no cached prediction on the state Redis',
    );
    t.same(await cacheObserver.sendCommand(['ACL', 'LOG']), [], 'the cache refused nothing');
    t.same(await stateObserver.sendCommand(['ACL', 'LOG']), [], 'the state refused nothing');
  });

  await t.test('reading or changing anything else is refused', async (t) => {
    const as = async (url: string) => {
      const client = createClient({ url });
      await client.connect();
      t.teardown(() => client.close());
      return client;
    };
    const cache = await as(cacheUrl);
    const state = await as(stateUrl);
    const refusals: [string, () => Promise<unknown>][] = [];
    for (const [role, client] of [
      ['cache', cache],
      ['state', state],
    ] as const) {
      refusals.push(
        [`${role}: GET outside its prefixes`, () => client.get('session:someone-else')],
        [`${role}: SET outside its prefixes`, () => client.set('session:x', '1')],
        [`${role}: KEYS`, () => client.keys('*')],
        [`${role}: SCAN`, () => client.scan('0')],
        [`${role}: FLUSHALL`, () => client.flushAll()],
        [`${role}: CONFIG GET`, () => client.configGet('*')],
        [`${role}: PUBLISH`, () => client.publish('anything', 'x')],
      );
    }
    refusals.push(
      ['cache: a state key', () => cache.get('mlapi:traffic:policies')],
      ['cache: an API key', () => cache.set('mlapi:v1:key:x', '{}')],
      ['cache: a script', () => cache.eval("return redis.call('PING')", { keys: [] })],
      ['cache: DEL of its own keys', () => cache.del('mlapi:v2:pred:x')],
      ['state: a cache key', () => state.get('mlapi:v2:pred:x')],
      [
        'state: a script touching a key outside its prefixes',
        () => state.eval("return redis.call('GET', KEYS[1])", { keys: ['session:someone-else'] }),
      ],
    );
    t.equal(refusals.length, 20);
    for (const [what, act] of refusals) {
      const err = await act().then(
        () => null,
        (e: unknown) => e,
      );
      t.match(String(err), /NOPERM/, `${what}: NOPERM`);
    }
    for (const port of [CACHE_PORT, STATE_PORT]) {
      t.match(
        await rawCommand(port, ['GET', 'mlapi:traffic:policies']),
        /^-NOAUTH/,
        `without a user nothing is served on ${port}: the default user is off`,
      );
    }
  });
});
