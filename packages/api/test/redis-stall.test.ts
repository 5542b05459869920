import t from 'tap';
import { createRedisClient } from '../src/redis-client.js';
import { RedisProcess } from './helpers/redis-process.js';
import {
  freePort,
  rowPredict,
  spawnWorker,
  startGateway,
  uniqueModel,
  waitCached,
  waitFor,
  waitLive,
} from './helpers/stack.js';

// A Redis that stops answering but keeps its connections open (a frozen process, a partition
// without a reset) must cost a request at most the command deadline: node-redis's own timeout
// stops counting once a command is written, so without ours every request would hang.

const codeOf = (err: unknown) => (err as { code?: unknown }).code;

t.test(
  'a frozen Redis: commands reject with REDIS_TIMEOUT, then fail fast, then recover',
  async (t) => {
    const redis = await RedisProcess.start(t, await freePort(), ['--appendonly', 'no']);
    const client = createRedisClient(redis.url, () => {}, 250);
    await client.connect();
    t.teardown(() => client.destroy());
    const key = `mlapi:test:stall:${process.pid}`;
    await client.set(key, 'a', { EX: 60 });
    t.equal(await client.get(key), 'a', 'answers while Redis runs');
    const replies = await client.multi().set(key, 'b', { EX: 60 }).get(key).exec();
    t.same(replies, ['OK', 'b'], 'a transaction still chains and runs');

    redis.signal('SIGSTOP');
    const first = await client.get(key).then(
      () => 'answered',
      (err: unknown) => codeOf(err),
    );
    t.equal(first, 'REDIS_TIMEOUT', 'a written command gets no answer: it times out');
    const next = await client.eval('return 1', { keys: [], arguments: [] }).then(
      () => 'answered',
      (err: unknown) => [codeOf(err), (err as Error).message],
    );
    t.same(next, ['REDIS_TIMEOUT', 'Redis is not answering (stalled)'], 'the next fails at once');
    const transaction = await client
      .multi()
      .get(key)
      .exec()
      .then(
        () => 'answered',
        (err: unknown) => codeOf(err),
      );
    t.equal(transaction, 'REDIS_TIMEOUT', 'so does a transaction');

    redis.signal('SIGCONT');
    await waitFor('Redis to answer again', async () => {
      try {
        return (await client.get(key)) === 'b';
      } catch {
        return false;
      }
    });
    t.equal(await client.get(key), 'b', 'commands succeed once it runs again');
  },
);

t.test('a frozen cache Redis: predicts are answered, uncached, never hung', async (t) => {
  const { name, dir } = await uniqueModel(t, 'fast');
  spawnWorker(t, dir);
  const redis = await RedisProcess.start(t, await freePort(), ['--appendonly', 'no']);
  const gw = await startGateway(t, { REDIS_URL: redis.url });
  await waitLive(gw, name);
  const predict = rowPredict(gw, name);
  await waitCached('the cache to connect', predict, 0.1);

  redis.signal('SIGSTOP');
  const replies = await Promise.all([0.2, 0.3, 0.4, 0.1].map(predict));
  t.equal(replies.length, 4);
  t.same(
    replies.map((r) => r.statusCode),
    [200, 200, 200, 200],
    'every predict is answered while Redis answers nothing',
  );
  t.same(
    replies.map((r) => r.json().cached),
    [false, false, false, false],
    'from the model: even the cached input, as the cache cannot be read',
  );
  redis.signal('SIGCONT');
  await waitCached('caching to resume', predict, 0.5);
  t.pass('caching resumed by itself');
});
