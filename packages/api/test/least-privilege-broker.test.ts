// The broker rights of k8s-config/rabbitmq/users.yaml and models/fast/k8s/rabbitmq-user.yaml,
// created with rabbitmqctl on a vhost of this test's own: the stack works with exactly those
// rights, and each act a role must not do is refused by the broker.
import { join } from 'node:path';
import {
  JOB_CANCEL_EXCHANGE,
  JOB_QUEUE_OPTIONS,
  JOB_RESULTS_QUEUE,
  modelQueue,
} from '@mlapi/contracts';
import { DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE, DEAD_LETTER_QUEUE_OPTIONS } from '@mlapi/rpc';
import { type Channel, connect } from 'amqplib';
import t, { type Test } from 'tap';
import { adminVhost, manifestGrant, roleUser } from './helpers/broker-roles.js';
import { ROOT, reference, spawnWorker, startGateway, waitLive } from './helpers/stack.js';

const FAST = modelQueue('fast', '1');
const SLOW = modelQueue('slow', '1');
const PRESENCE = 'mlapi.presence';
const PROBE = 'mlapi.presence.probe';

/** Runs `act` on a fresh channel as `url`; resolves with the broker's answer: null, or an error. */
async function attempt(
  url: string,
  act: (ch: Channel) => Promise<unknown>,
): Promise<(Error & { code?: number }) | null> {
  const conn = await connect(url, { noDelay: true });
  try {
    const ch = await conn.createChannel();
    // A refused publish has no reply: the broker closes the channel, which the next call sees.
    const closed = new Promise<Error>((resolve) => ch.once('error', resolve));
    return await Promise.race([
      closed,
      act(ch).then(
        () => null,
        () => closed,
      ),
    ]);
  } finally {
    await conn.close().catch(() => undefined);
  }
}

async function refused(t: Test, url: string, what: string, act: (ch: Channel) => Promise<unknown>) {
  const err = await attempt(url, act);
  t.equal(err?.code, 403, `${what}: refused with 403`);
  t.match(err?.message ?? '', /ACCESS_REFUSED/, `${what}: ACCESS_REFUSED`);
}

/** A publish followed by a round trip, so a refusal arrives before the act resolves. */
const publishTo = (exchange: string, key: string) => async (ch: Channel) => {
  ch.publish(exchange, key, Buffer.from('{}'));
  await ch.checkExchange('amq.direct');
};

t.test('the stack works with the manifests rights, and nothing more is allowed', async (t) => {
  const { vhost, adminUrl } = await adminVhost(t);
  // The Topology Operator's part (k8s-config/rabbitmq/users.yaml): the shared exchanges and
  // queues exist before any role starts.
  const admin = await connect(adminUrl, { noDelay: true });
  t.teardown(() => admin.close());
  const setup = await admin.createChannel();
  for (const exchange of [PRESENCE, PROBE, DEAD_LETTER_EXCHANGE, JOB_CANCEL_EXCHANGE]) {
    await setup.assertExchange(exchange, 'fanout', { durable: true });
  }
  await setup.assertQueue(DEAD_LETTER_QUEUE, DEAD_LETTER_QUEUE_OPTIONS);
  await setup.bindQueue(DEAD_LETTER_QUEUE, DEAD_LETTER_EXCHANGE, '');
  await setup.assertQueue(JOB_RESULTS_QUEUE, JOB_QUEUE_OPTIONS);
  // Another model's queue, for the worker to be refused.
  await setup.assertQueue(SLOW, { durable: true });

  const gatewayUrl = await roleUser(
    t,
    vhost,
    'gateway',
    await manifestGrant('k8s-config/rabbitmq/users.yaml', 'mlapi-gateway'),
  );
  const workerUrl = await roleUser(
    t,
    vhost,
    'worker-fast',
    await manifestGrant('models/fast/k8s/rabbitmq-user.yaml', 'mlapi-worker-fast'),
  );
  const kedaUrl = await roleUser(
    t,
    vhost,
    'keda',
    await manifestGrant('k8s-config/rabbitmq/users.yaml', 'mlapi-keda'),
  );

  const worker = spawnWorker(t, join(ROOT, 'models', 'fast'), { AMQP_URL: workerUrl });
  const gateway = await startGateway(t, { AMQP_URL: gatewayUrl });
  await waitLive(gateway, 'fast').catch((err: unknown) => {
    t.comment(worker.output());
    throw err;
  });

  await t.test('a prediction goes through: request, reply and presence', async (t) => {
    const expected = (await reference()).fast;
    const res = await gateway.app.inject({
      method: 'POST',
      url: '/predict',
      payload: { model_name: 'fast', input_data: expected.inputs },
    });
    t.equal(res.statusCode, 200, res.statusCode === 200 ? 'answers 200' : res.body);
    t.same(res.json().predictions, expected.predictions);
    const queueDepth = gateway.owned.deps.queueDepth;
    if (queueDepth === undefined || queueDepth === null) throw new Error('no queue-depth probe');
    const depths = await queueDepth.depths([FAST]);
    t.equal(depths.get(FAST), 0, "the gateway's queue-depth probe reads the model queue's length");
  });

  await t.test('the gateway cannot configure, read requests or announce', async (t) => {
    await refused(t, gatewayUrl, 'declaring a model queue', (ch) =>
      ch.assertQueue(FAST, { durable: true }),
    );
    await refused(t, gatewayUrl, 'declaring a queue of its own naming', (ch) =>
      ch.assertQueue('mlapi.gateway-scratch'),
    );
    await refused(t, gatewayUrl, 'deleting a model queue', (ch) => ch.deleteQueue(FAST));
    await refused(t, gatewayUrl, 'purging a model queue', (ch) => ch.purgeQueue(FAST));
    await refused(t, gatewayUrl, 'consuming a model queue', (ch) => ch.consume(FAST, () => {}));
    await refused(t, gatewayUrl, 'deleting the presence exchange', (ch) =>
      ch.deleteExchange(PRESENCE),
    );
    await refused(t, gatewayUrl, 'declaring an exchange', (ch) =>
      ch.assertExchange('mlapi.gateway-scratch', 'fanout'),
    );
    await refused(t, gatewayUrl, 'announcing as a worker', publishTo(PRESENCE, ''));
  });

  await t.test("a worker cannot touch another model's queue", async (t) => {
    await refused(t, workerUrl, "consuming another model's queue", (ch) =>
      ch.consume(SLOW, () => {}),
    );
    await refused(t, workerUrl, "declaring another model's queue", (ch) =>
      ch.assertQueue(SLOW, { durable: true }),
    );
    await refused(t, workerUrl, "deleting another model's queue", (ch) => ch.deleteQueue(SLOW));
    await refused(t, workerUrl, 'probing as a gateway', publishTo(PROBE, ''));
    await refused(t, workerUrl, 'deleting the probe exchange', (ch) => ch.deleteExchange(PROBE));
  });

  await t.test('KEDA reads queue lengths and nothing else', async (t) => {
    const lengths = await attempt(kedaUrl, (ch) => ch.checkQueue(FAST));
    t.equal(lengths, null, 'a passive declare needs no rights');
    await refused(t, kedaUrl, 'consuming a model queue', (ch) => ch.consume(FAST, () => {}));
    await refused(t, kedaUrl, 'publishing a request', publishTo('', FAST));
  });

  await t.test('the known limit: the default exchange is not scoped by queue', async (t) => {
    // README, "Broker and Redis rights": write on amq.default reaches every queue. If RabbitMQ
    // ever refuses this, that paragraph is out of date.
    t.equal(await attempt(workerUrl, publishTo('', SLOW)), null, 'a worker can publish into it');
  });
});
