// The Redis ACL users of k8s-config/redis/redis.yaml on a redis-server of this test's own: the
// gateway's cache, rate limits and traffic policies work with exactly those rights (the ACL log
// stays empty), and reaching outside them is refused.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createClient } from 'redis';
import t from 'tap';
import { aclRedis, OBSERVER } from './helpers/acl-redis.js';
import { ROOT, reference, spawnWorker, startGateway, waitLive } from './helpers/stack.js';
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

// From the ports this work may use (36000-36099).
const PORT = 36021;

t.test('the gateway works as its ACL user and reaches nothing else', async (t) => {
  const password = randomBytes(24).toString('hex');
  await aclRedis(t, PORT, password);
  const observer = createClient({
    url: `redis://${OBSERVER.user}:${OBSERVER.password}@127.0.0.1:${PORT}`,
  });
  await observer.connect();
  t.teardown(() => observer.close());
  await observer.set('session:someone-else', 'secret');

  const amqpUrl = await privateVhost(t);
  const worker = spawnWorker(t, join(ROOT, 'models', 'fast'), { AMQP_URL: amqpUrl });
  const gateway = await startGateway(t, {
    AMQP_URL: amqpUrl,
    REDIS_URL: `redis://mlapi-gateway:${password}@127.0.0.1:${PORT}`,
    RATE_LIMIT_MAX: '1000',
  });
  await waitLive(gateway, 'fast').catch((err: unknown) => {
    t.comment(worker.output());
    throw err;
  });

  await t.test('cache, rate limit and traffic policies work', async (t) => {
    const expected = (await reference()).fast;
    const predict = () =>
      gateway.app.inject({
        method: 'POST',
        url: '/predict',
        payload: { model_name: 'fast', input_data: expected.inputs },
      });
    const first = await predict();
    t.equal(first.statusCode, 200);
    t.equal(first.json().cached, false);
    const second = await predict();
    t.equal(second.json().cached, true, 'the second answer comes from Redis');
    t.same(second.json().predictions, expected.predictions);
    t.ok(second.headers['x-ratelimit-remaining'], 'rate-limited through Redis');

    const put = await gateway.app.inject({
      method: 'PUT',
      url: '/admin/models/fast/traffic',
      payload: { weights: { '1': 100 } },
    });
    t.equal(put.statusCode, 200, put.body);
    const get = await gateway.app.inject({ method: 'GET', url: '/admin/models/fast/traffic' });
    t.match(get.json(), { policy: { weights: { '1': 100 } } });

    const keys = (await observer.keys('*')).sort();
    t.ok(
      keys.some((k) => k.startsWith('mlapi:v1:rl:')),
      'a rate-limit counter',
    );
    t.ok(
      keys.some((k) => k.startsWith('mlapi:v2:pred:')),
      'a cached prediction',
    );
    t.ok(keys.includes('mlapi:traffic:policies'), 'the policies hash');
    const denied = await observer.sendCommand(['ACL', 'LOG']);
    t.same(denied, [], 'no command of the gateway was refused');
  });

  await t.test('reading or changing anything else is refused', async (t) => {
    const asGateway = createClient({
      url: `redis://mlapi-gateway:${password}@127.0.0.1:${PORT}`,
    });
    await asGateway.connect();
    t.teardown(() => asGateway.close());
    const refusals: [string, () => Promise<unknown>][] = [
      ['GET of a key outside its prefixes', () => asGateway.get('session:someone-else')],
      ['SET of a key outside its prefixes', () => asGateway.set('session:x', '1')],
      [
        'a script touching a key outside its prefixes',
        () =>
          asGateway.eval("return redis.call('GET', KEYS[1])", { keys: ['session:someone-else'] }),
      ],
      ['KEYS', () => asGateway.keys('*')],
      ['SCAN', () => asGateway.scan('0')],
      ['FLUSHALL', () => asGateway.flushAll()],
      ['CONFIG GET', () => asGateway.configGet('*')],
      ['DEL of its own keys', () => asGateway.del('mlapi:traffic:policies')],
      ['PUBLISH', () => asGateway.publish('anything', 'x')],
    ];
    for (const [what, act] of refusals) {
      const err = await act().then(
        () => null,
        (e: unknown) => e,
      );
      t.match(String(err), /NOPERM/, `${what}: NOPERM`);
    }
    t.match(
      await rawCommand(PORT, ['GET', 'mlapi:traffic:policies']),
      /^-NOAUTH/,
      'without a user nothing is served: the default user is off',
    );
  });
});
