import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import t, { type Test } from 'tap';
import { createRedisClient } from '../src/redis-client.js';
import {
  API_MAIN,
  freePort,
  rowPredict,
  spawnNode,
  spawnWorker,
  startGateway,
  unique,
  uniqueModel,
  waitCached,
  waitFor,
  waitLive,
} from './helpers/stack.js';

/** A Redis of the test's own on a free port; the machine's shared one is never touched. */
async function startRedis(t: Test, port: number): Promise<{ stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  t.teardown(stop);
  const probe = createRedisClient(`redis://127.0.0.1:${port}`, () => {});
  await waitFor('redis to answer', async () => {
    try {
      if (!probe.isOpen) await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    }
  });
  await probe.close();
  return { stop };
}

async function metricValue(
  app: { inject: (o: { url: string }) => Promise<{ body: string }> },
  name: string,
) {
  const body = (await app.inject({ url: '/metrics' })).body;
  const match = new RegExp(`^${name} (\\d+)`, 'm').exec(body);
  return Number(match?.[1] ?? 0);
}

t.test(
  'Redis killed mid-run: every request still succeeds, and caching resumes when it returns',
  async (t) => {
    const { name, dir } = await uniqueModel(t, 'fast');
    spawnWorker(t, dir);
    const port = await freePort();
    let redis = await startRedis(t, port);
    const gw = await startGateway(t, { REDIS_URL: `redis://127.0.0.1:${port}` });
    await waitLive(gw, name);
    const predict = rowPredict(gw, name);

    await waitCached('the cache to connect', predict, 0.1);
    t.pass('cached through Redis');

    let i = 0;
    const statuses: number[] = [];
    const load = (async () => {
      while (i < 400) {
        const res = await predict(0.2 + (i++ % 50) / 100);
        statuses.push(res.statusCode);
      }
    })();
    await waitFor('some requests', () => i > 100);
    await redis.stop();
    await load;
    t.equal(statuses.length, 400);
    t.ok(
      statuses.every((s) => s === 200),
      'every request succeeded while Redis went away',
    );
    const down = await predict(3.3);
    t.equal(down.statusCode, 200, 'served with Redis down');
    t.equal(down.json().cached, false, 'uncached');
    t.ok((await metricValue(gw.app, 'cache_errors_total')) > 0, 'the failures are counted');

    redis = await startRedis(t, port);
    await waitCached('caching to resume', predict, 4.4);
    t.pass('caching resumed by itself');
  },
);

/** The real gateway process on a port of its own; resolves once it is ready. */
async function spawnGateway(t: Test, env: Record<string, string>): Promise<string> {
  const port = await freePort();
  spawnNode(t, API_MAIN, { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env });
  const base = `http://127.0.0.1:${port}`;
  await waitFor('the gateway to be ready', async () => {
    try {
      return (await fetch(`${base}/health/ready`)).status === 200;
    } catch {
      return false;
    }
  });
  return base;
}

t.test('cache keys are the same in two gateway processes', async (t) => {
  const { name, dir } = await uniqueModel(t, 'intermediate');
  spawnWorker(t, dir);
  const port = await freePort();
  await startRedis(t, port);
  const env = { REDIS_URL: `redis://127.0.0.1:${port}` };
  const [a, b] = await Promise.all([spawnGateway(t, env), spawnGateway(t, env)]);
  const rows = [
    [6.7, 3.1, 4.4, 1.4],
    [unique('x').length / 10, 3, 5, 2],
  ];
  const post = async (base: string) => {
    let res: Response;
    // Each gateway learns of the worker from its announcements; wait until both have.
    do {
      res = await fetch(`${base}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model_name: name, input_data: rows }),
      });
    } while (res.status === 404 || res.status === 503);
    return (await res.json()) as { cached: boolean; predictions: number[] };
  };
  const first = await post(a);
  t.equal(first.cached, false, 'the first gateway computes it');
  const second = await post(b);
  t.equal(second.cached, true, 'the second finds it under the same key');
  t.same(second.predictions, first.predictions);
});
