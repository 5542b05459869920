import type { Test } from 'tap';
import t from 'tap';
import { RpcClient, type RpcClientOptions, RpcError } from '../src/index.js';
import { AMQP_URL, admin, EchoServer, liveTimeouts, startPair, unique, until } from './helpers.js';

async function setup(
  t: Test,
  serverOptions: Record<string, unknown> = {},
  clientOptions: RpcClientOptions = {},
) {
  const queue = unique('err');
  const server = new EchoServer({ url: AMQP_URL, queue, logger: null, ...serverOptions });
  const client = await startPair(t, server, clientOptions);
  return { queue, server, client };
}

function code(t: Test, error: unknown, expected: string, what: string): void {
  t.type(error, RpcError, what);
  t.equal((error as RpcError).code, expected, what);
}

t.test('a timeout gives RPC_TIMEOUT and leaves no pending entry and no live timer', async (t) => {
  const queue = unique('timeout');
  const model = await admin();
  const ch = await model.createChannel();
  // A queue nobody consumes: no reply will ever come.
  await ch.assertQueue(queue, { durable: false });
  const client = new RpcClient({ url: AMQP_URL, logger: null });
  await client.connect();
  t.teardown(async () => {
    await client.close();
    await ch.deleteQueue(queue);
    await model.close();
  });

  const timersBefore = liveTimeouts();
  const calls = Array.from({ length: 20 }, () => client.call(queue, {}, { timeoutMs: 150 }));
  t.ok(liveTimeouts() >= timersBefore + 20, 'each pending call holds a timer');
  const results = await Promise.allSettled(calls);
  for (const r of results)
    code(t, r.status === 'rejected' ? r.reason : null, 'RPC_TIMEOUT', 'timeout');
  const m = client.metrics();
  t.equal(m.timeouts, 20);
  t.equal(m.inFlight, 0, 'no pending entries');
  t.equal(m.waiting, 0, 'no waiting calls');
  t.ok(liveTimeouts() <= timersBefore, 'no live timers left behind');
});

t.test('a call that settles by reply clears its timer at once', async (t) => {
  const { queue, client } = await setup(t, { concurrency: 8 });
  const timersBefore = liveTimeouts();
  const calls = Array.from({ length: 100 }, () => client.call(queue, {}, { timeoutMs: 60_000 }));
  t.ok(liveTimeouts() >= timersBefore + 100, 'each pending call holds a timer');
  await Promise.all(calls);
  t.ok(liveTimeouts() <= timersBefore, 'none of the 100 one-minute timers is still alive');
});

t.test('an already-passed deadline rejects RPC_TIMEOUT without publishing', async (t) => {
  const queue = unique('expired-call');
  const { queue: echo } = await setup(t);
  const model = await admin();
  const ch = await model.createChannel();
  await ch.assertQueue(queue, { durable: false });
  const client = new RpcClient({ url: AMQP_URL, logger: null, poolSize: 1 });
  await client.connect();
  t.teardown(async () => {
    await client.close();
    await ch.deleteQueue(queue);
    await model.close();
  });
  const error = await client.call(queue, {}, { deadline: Date.now() - 1 }).catch((e) => e);
  code(t, error, 'RPC_TIMEOUT', 'passed deadline');
  // One channel keeps frames in order: had the first call been published, it is queued by now.
  await client.call(echo, {});
  t.equal((await ch.checkQueue(queue)).messageCount, 0, 'nothing was published');
});

t.test('no such queue gives RPC_NO_ROUTE well under a second', async (t) => {
  const client = new RpcClient({ url: AMQP_URL, logger: null });
  await client.connect();
  t.teardown(() => client.close());
  // With a one-second timeout, anything but an immediate basic.return would be RPC_TIMEOUT.
  const error = await client.call(unique('nowhere'), {}, { timeoutMs: 1000 }).catch((e) => e);
  code(t, error, 'RPC_NO_ROUTE', 'no route');
  t.equal(client.metrics().inFlight, 0);
});

t.test('a full queue gives RPC_OVERLOADED', async (t) => {
  // The server declares x-max-length 2 with reject-publish and holds one message at a time.
  // One channel: the broker keeps one channel's publishes in order, but not several channels',
  // so with the default pool the overflowing call could overtake a queued one and the queued one
  // got the nack (seen once under load).
  const { queue, server, client } = await setup(t, { maxLength: 2, prefetch: 1 }, { poolSize: 1 });
  const first = client.call(queue, { delayMs: 1000 });
  await until(() => server.seen.length === 1);
  const queued = [client.call(queue, { value: 2 }), client.call(queue, { value: 3 })];
  await until(() => client.metrics().inFlight === 3);
  // Ready messages (2) are at the bound now. A quorum queue enforces it a little late: it
  // tells the channel it is full asynchronously, so a publish or two past the bound may land.
  const extra: Promise<unknown>[] = [];
  for (let i = 4; i < 12 && client.metrics().overloaded === 0; i++) {
    extra.push(client.call(queue, { value: i }, { timeoutMs: 10_000 }).catch((e) => e));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await until(() => client.metrics().overloaded >= 1);
  const errors = (await Promise.all(extra)).filter((r) => r instanceof RpcError);
  t.ok(errors.length >= 1, 'a publish past the bound is refused');
  for (const error of errors) code(t, error, 'RPC_OVERLOADED', 'full queue');
  t.ok(
    extra.length - errors.length <= 3,
    `at most a few past the bound (${extra.length - errors.length})`,
  );
  await Promise.all([first, ...queued]);
});

t.test(
  'a handler that throws gives RPC_REMOTE with its code, and the server keeps serving',
  async (t) => {
    const { queue, server, client } = await setup(t);
    const error = await client.call(queue, { throwCode: 'BAD_INPUT' }).catch((e) => e);
    code(t, error, 'RPC_REMOTE', 'remote error');
    t.equal((error as RpcError).remoteCode, 'BAD_INPUT');
    t.equal((error as RpcError).remoteMessage, 'refused');

    const internal = await client.call(queue, { throwPlain: true }).catch((e) => e);
    code(t, internal, 'RPC_REMOTE', 'plain error');
    t.equal((internal as RpcError).remoteCode, 'INTERNAL');
    t.notMatch((internal as RpcError).remoteMessage ?? '', 'secret', 'the real message stays home');

    const ok = await client.call<{ value: number }>(queue, { value: 5 });
    t.equal(ok.value, 5, 'the server still serves');
    t.match(server.metrics(), { handled: 1, failed: 2 });
  },
);

t.test('a reply that is not an envelope gives RPC_BAD_REPLY', async (t) => {
  const queue = unique('badreply');
  const model = await admin();
  const ch = await model.createChannel();
  await ch.assertQueue(queue, { durable: false });
  const bodies = ['not json', '{"result":1}', '{"ok":false,"error":"x"}'];
  let i = 0;
  await ch.consume(queue, (m) => {
    if (m === null) return;
    ch.sendToQueue(m.properties.replyTo, Buffer.from(bodies[i++ % bodies.length] as string), {
      correlationId: m.properties.correlationId,
    });
    ch.ack(m);
  });
  const client = new RpcClient({ url: AMQP_URL, logger: null, poolSize: 1 });
  await client.connect();
  t.teardown(async () => {
    await client.close();
    await ch.deleteQueue(queue);
    await model.close();
  });
  for (const body of bodies) {
    code(t, await client.call(queue, {}).catch((e) => e), 'RPC_BAD_REPLY', body);
  }
  t.equal(client.metrics().badReplies, 3);
});

t.test('an AbortSignal rejects RPC_ABORTED at once and cleans up', async (t) => {
  const { queue, client } = await setup(t);
  const timersBefore = liveTimeouts();
  const controller = new AbortController();
  const pending = client.call(queue, { delayMs: 2000 }, { signal: controller.signal });
  controller.abort();
  code(t, await pending.catch((e) => e), 'RPC_ABORTED', 'aborted in flight');
  code(
    t,
    await client.call(queue, {}, { signal: AbortSignal.abort() }).catch((e) => e),
    'RPC_ABORTED',
    'aborted before the call',
  );
  t.equal(client.metrics().inFlight, 0);
  t.ok(liveTimeouts() <= timersBefore, 'its timer was cleared');
});

t.test('a reply after the call timed out is dropped and counted', async (t) => {
  const { queue, client } = await setup(t);
  const error = await client.call(queue, { delayMs: 400 }, { timeoutMs: 100 }).catch((e) => e);
  code(t, error, 'RPC_TIMEOUT', 'timed out first');
  await until(() => client.metrics().lateReplies === 1);
  t.equal(client.metrics().inFlight, 0);
});

t.test('maxInFlight caps published calls; waiting calls keep their own deadline', async (t) => {
  const { queue, server, client: _unused } = await setup(t, { concurrency: 10 });
  const client = new RpcClient({ url: AMQP_URL, logger: null, maxInFlight: 2 });
  await client.connect();
  t.teardown(() => client.close());

  const calls = Array.from({ length: 6 }, (_, i) => client.call(queue, { value: i, delayMs: 50 }));
  t.match(client.metrics(), { inFlight: 2, waiting: 4 }, 'two published, four waiting');
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, client.metrics().inFlight);
  }, 5);
  await Promise.all(calls);
  clearInterval(sampler);
  t.ok(peak <= 2, `never more than two in flight (peak ${peak})`);

  const slow = client.call(queue, { delayMs: 600 });
  const slow2 = client.call(queue, { delayMs: 600 });
  const seenBefore = server.seen.length;
  const error = await client.call(queue, { value: 'late' }, { timeoutMs: 100 }).catch((e) => e);
  code(t, error, 'RPC_TIMEOUT', 'waited past its deadline');
  await Promise.all([slow, slow2]);
  t.equal(server.seen.length, seenBefore + 2, 'the timed-out call was never published');
});

t.test('publish() returning false makes calls wait for drain, and they all complete', async (t) => {
  const { queue, client: _unused } = await setup(t, { prefetch: 512, concurrency: 512 });
  const client = new RpcClient({ url: AMQP_URL, logger: null, poolSize: 1 });
  await client.connect();
  t.teardown(() => client.close());
  const n = 5000;
  const calls = Array.from({ length: n }, (_, i) =>
    client.call<{ value: number }>(queue, { value: i }),
  );
  const m = client.metrics();
  t.equal(m.drainWaits, 1, 'the channel buffer filled up');
  t.ok(m.waiting > 0 && m.inFlight + m.waiting === n, `later calls wait (${m.waiting} waiting)`);
  const replies = await Promise.all(calls);
  t.ok(
    replies.every((r, i) => r.value === i),
    'every call completed with its own answer',
  );
});

t.test('close() rejects published and waiting calls RPC_CLOSED and clears timers', async (t) => {
  const { queue } = await setup(t);
  const client = new RpcClient({ url: AMQP_URL, logger: null, poolSize: 1 });
  await client.connect();
  const timersBefore = liveTimeouts();
  const calls = Array.from({ length: 3000 }, () => client.call(queue, { delayMs: 1000 }));
  const settled = Promise.allSettled(calls);
  t.ok(client.metrics().waiting > 0, 'some calls are waiting for drain');
  await client.close();
  const results = await settled;
  t.ok(
    results.every((r) => r.status === 'rejected' && (r.reason as RpcError).code === 'RPC_CLOSED'),
    'every call rejected RPC_CLOSED',
  );
  t.ok(liveTimeouts() <= timersBefore, 'no call timer left');
  code(t, await client.call(queue, {}).catch((e) => e), 'RPC_CLOSED', 'after close');
});
