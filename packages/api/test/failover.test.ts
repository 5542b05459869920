// A real three-node RabbitMQ cluster (private nodes from Debian's rabbitmq-server, see
// scripts/rabbitmq-node.mjs): under load, stop the node that leads a model's quorum queue, then
// start it again. Every request must succeed or get 503 with Retry-After; none may hang or 500.
// Prints the failover figures: requests lost, 503s, seconds until throughput is back.
import { modelQueue } from '@mlapi/contracts';
import t from 'tap';
// @ts-expect-error: a plain .mjs script, no types
import * as cluster from '../../../scripts/rabbitmq-node.mjs';
import { spawnWorker, startGateway, uniqueModel, waitFor, waitLive } from './helpers/stack.js';

interface NodeSpec {
  name: string;
  url: string;
}
const BASE = Number(process.env.MLAPI_HA_PORT_BASE ?? 32000);
const CONCURRENCY = 8;
const ROW = [5.1, 3.5, 1.4, 0.2];

t.test('stopping the leader of a model queue under load loses no request', async (t) => {
  // The private nodes run as the rabbitmq user, as Debian's rabbitmq-server does for root.
  if (process.getuid?.() !== 0) {
    t.comment('skipped: needs root to start private RabbitMQ nodes (.ci/run runs as root)');
    t.pass('not run without root');
    return;
  }
  const nodes: NodeSpec[] = await cluster.startCluster({ base: BASE, count: 3 });
  t.teardown(() => cluster.stopCluster(nodes));
  const amqpUrl = nodes.map((n) => n.url).join(',');

  const { name, dir } = await uniqueModel(t, 'fast');
  spawnWorker(t, dir, { AMQP_URL: amqpUrl });
  spawnWorker(t, dir, { AMQP_URL: amqpUrl });
  const gw = await startGateway(t, { AMQP_URL: amqpUrl });
  await waitLive(gw, name, 2);
  const queue = modelQueue(name, '1');
  const leaderName: string | null = await cluster.queueLeader(nodes[0], queue);
  const leader = nodes.find((n) => n.name === leaderName);
  t.ok(leader !== undefined, `the queue has a leader (${leaderName})`);

  const done: Array<{ at: number; status: number }> = [];
  const bad: string[] = [];
  let running = true;
  let sent = 0;
  const loop = async (): Promise<void> => {
    while (running) {
      const res = await gw.app.inject({
        method: 'POST',
        url: '/predict',
        headers: { 'x-request-timeout-ms': '5000' },
        // A new row each time: a cached answer would not touch the broker.
        payload: { model_name: name, input_data: [[...ROW.slice(0, 3), (sent++ % 1e6) / 1e6]] },
      });
      done.push({ at: Date.now(), status: res.statusCode });
      if (res.statusCode === 503 && res.headers['retry-after'] === undefined) {
        bad.push('503 without Retry-After');
      } else if (res.statusCode !== 200 && res.statusCode !== 503) {
        bad.push(`${res.statusCode} ${res.body}`);
      }
    }
  };
  const loops = Array.from({ length: CONCURRENCY }, () => loop());
  await waitFor('load running', () => done.length >= 200, 30_000);
  const baselineFrom = Date.now();
  await waitFor('a second of baseline', () => Date.now() - baselineFrom >= 1000);
  const baseline = done.filter((d) => d.at >= baselineFrom && d.status === 200).length;

  const stoppedAt = Date.now();
  await cluster.stopNode(leader as NodeSpec);
  // Back: the first 500 ms window after the stop that completes half the baseline rate.
  let recoveredAt = 0;
  await waitFor(
    'throughput back',
    () => {
      const now = Date.now();
      const window = done.filter((d) => d.at > now - 500 && d.status === 200).length;
      if (now - stoppedAt >= 500 && window * 2 >= baseline / 2) recoveredAt = now;
      return recoveredAt > 0;
    },
    30_000,
  );
  await cluster.startNode(leader as NodeSpec);
  const restartedAt = Date.now();
  await waitFor('load after the restart', () => Date.now() - restartedAt >= 2000);
  running = false;
  await Promise.all(loops);

  const after = done.filter((d) => d.at >= stoppedAt);
  const unavailable = after.filter((d) => d.status === 503).length;
  const recoverSeconds = (recoveredAt - stoppedAt) / 1000;
  const figures = {
    requests: done.length,
    lost: bad.length,
    '503s': unavailable,
    secondsToRecover: recoverSeconds,
    baselinePerSecond: baseline,
  };
  t.comment(`failover: ${JSON.stringify(figures)}`);
  process.stdout.write(`# failover figures ${JSON.stringify(figures)}\n`);
  t.same(bad, [], 'every request succeeded or got 503 with Retry-After; none hung or 500');
  t.ok(done.length > 200, 'requests were answered throughout');
  t.ok(
    done.filter((d) => d.at >= restartedAt && d.status === 200).length > 0,
    'served after the node came back',
  );
});
