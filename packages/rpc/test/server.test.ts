import { once } from 'node:events';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Test } from 'tap';
import t from 'tap';
import type { RpcBatchItem, RpcOutcome } from '../src/index.js';
import { RemoteError, RpcClient, type RpcError } from '../src/index.js';
import type { EchoRequest } from './helpers.js';
import { AMQP_URL, admin, deleteQueues, EchoServer, startPair, unique, until } from './helpers.js';

/** An admin channel with a direct reply-to consumer, to talk to a server at the wire level. */
async function wire(t: Test) {
  const model = await admin();
  const ch = await model.createConfirmChannel();
  const replies = new Map<string, unknown>();
  await ch.consume(
    'amq.rabbitmq.reply-to',
    (m: ConsumeMessage | null) => {
      if (m) replies.set(m.properties.correlationId, JSON.parse(m.content.toString()));
    },
    { noAck: true },
  );
  t.teardown(() => model.close());
  return { ch: ch as Channel, replies };
}

t.test('an expired message is acked and never handled', async (t) => {
  const queue = unique('expired');
  const server = new EchoServer({ url: AMQP_URL, queue, logger: null });
  await server.start();
  t.teardown(async () => {
    await server.stop();
    await deleteQueues(queue);
  });
  const { ch, replies } = await wire(t);
  // No expiration property: only the server's own x-deadline check can drop it.
  ch.sendToQueue(queue, Buffer.from('{"value":1}'), {
    contentType: 'application/json',
    replyTo: 'amq.rabbitmq.reply-to',
    correlationId: 'c1',
    headers: { 'x-deadline': Date.now() - 1000 },
  });
  await until(() => server.metrics().expired === 1);
  t.equal(server.seen.length, 0, 'handle never ran');
  t.equal(server.metrics().inFlight, 0, 'it was acked');
  t.equal(replies.size, 0, 'no reply was sent');
});

t.test('a message that expires while queued is never handled', async (t) => {
  const queue = unique('expires-queued');
  const server = new EchoServer({ url: AMQP_URL, queue, logger: null, prefetch: 1 });
  const client = await startPair(t, server);
  const busy = client.call(queue, { value: 'busy', delayMs: 600 });
  await until(() => server.seen.length === 1);
  const late = (await client
    .call(queue, { value: 'late' }, { timeoutMs: 200 })
    .catch((e: unknown) => e)) as RpcError;
  t.equal(late.code, 'RPC_TIMEOUT');
  await busy;
  // A marker call sent after it: once the marker is handled, the expired one has been dealt with.
  await client.call(queue, { value: 'marker' });
  t.same(
    server.seen.map((r) => r.value),
    ['busy', 'marker'],
    'the expired request never reached handle',
  );
});

t.test('bad input is answered BAD_INPUT and acked; handle never sees it', async (t) => {
  const queue = unique('bad');
  const server = new EchoServer({ url: AMQP_URL, queue, logger: null });
  await server.start();
  t.teardown(async () => {
    await server.stop();
    await deleteQueues(queue);
  });
  const { ch, replies } = await wire(t);
  const send = (id: string, body: string, contentType?: string) =>
    ch.sendToQueue(queue, Buffer.from(body), {
      replyTo: 'amq.rabbitmq.reply-to',
      correlationId: id,
      ...(contentType === undefined ? {} : { contentType }),
    });
  send('not-json', '{"value":', 'application/json');
  send('text', '{"value":1}', 'text/plain');
  send('no-type', '{"value":1}');
  send('binary', '\u0000\u00ff', 'application/json');
  await until(() => replies.size === 4);
  for (const id of ['not-json', 'text', 'no-type', 'binary']) {
    t.match(replies.get(id), { ok: false, error: { code: 'BAD_INPUT' } }, id);
  }
  t.equal(server.seen.length, 0, 'handle never ran');
  t.match(server.metrics(), { badMessages: 4, inFlight: 0 });
  await server.stop();
  t.equal((await ch.checkQueue(queue)).messageCount, 0, 'nothing went back to the queue');
});

t.test('a message without replyTo is handled and acked without a reply', async (t) => {
  const queue = unique('noreply');
  const server = new EchoServer({ url: AMQP_URL, queue, logger: null });
  await server.start();
  t.teardown(async () => {
    await server.stop();
    await deleteQueues(queue);
  });
  const { ch } = await wire(t);
  ch.sendToQueue(queue, Buffer.from('{"value":"fire-and-forget"}'), {
    contentType: 'application/json',
  });
  await until(() => server.metrics().handled === 1);
  t.equal(server.seen[0]?.value, 'fire-and-forget');
  await server.stop();
  t.equal((await ch.checkQueue(queue)).messageCount, 0, 'it was acked');
});

class BatchServer extends EchoServer {
  readonly sizes: number[] = [];
  mode: 'echo' | 'throw' | 'short' = 'echo';

  protected override async handleBatch(
    items: readonly RpcBatchItem<EchoRequest>[],
  ): Promise<RpcOutcome<{ value: unknown; context: object }>[]> {
    this.sizes.push(items.length);
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (this.mode === 'throw') throw new RemoteError('OVERLOADED', 'batch refused');
    const outcomes = items.map((item) => ({
      ok: true as const,
      result: { value: item.request.value, context: {} },
    }));
    return this.mode === 'short' ? outcomes.slice(1) : outcomes;
  }
}

t.test('handleBatch takes the held messages as a batch, up to maxBatch', async (t) => {
  const queue = unique('batch');
  const server = new BatchServer({
    url: AMQP_URL,
    queue,
    logger: null,
    prefetch: 64,
    maxBatch: 16,
    batchWindowMs: 50,
  });
  const client = await startPair(t, server);
  const replies = await Promise.all(
    Array.from({ length: 48 }, (_, i) => client.call<{ value: number }>(queue, { value: i })),
  );
  t.ok(
    replies.every((r, i) => r.value === i),
    'each reply matches its request',
  );
  t.ok(Math.max(...server.sizes) > 1, `messages were batched (${server.sizes.join(',')})`);
  t.ok(Math.max(...server.sizes) <= 16, 'no batch exceeds maxBatch');
  t.equal(server.metrics().batches, server.sizes.length);

  server.mode = 'throw';
  const thrown = await Promise.allSettled([client.call(queue, {}), client.call(queue, {})]);
  for (const r of thrown) {
    t.match(r, { status: 'rejected', reason: { code: 'RPC_REMOTE', remoteCode: 'OVERLOADED' } });
  }
  server.mode = 'short';
  const short = await client.call(queue, {}).catch((e) => e);
  t.match(
    short,
    { code: 'RPC_REMOTE', remoteCode: 'INTERNAL' },
    'a wrong outcome count is INTERNAL',
  );
  t.equal(server.metrics().inFlight, 0, 'everything was acked');
});

t.test('stop() finishes in-flight calls: replies, acks, then closes', async (t) => {
  const queue = unique('stop');
  const server = new EchoServer({ url: AMQP_URL, queue, logger: null, concurrency: 3 });
  await server.start();
  const client = new RpcClient({ url: AMQP_URL, logger: null });
  await client.connect();
  t.teardown(async () => {
    await client.close();
    await deleteQueues(queue);
  });
  const calls = [1, 2, 3].map((value) =>
    client.call<{ value: number }>(queue, { value, delayMs: 300 }),
  );
  await until(() => server.seen.length === 3);
  const stopped = server.stop();
  t.equal(server.consuming, false, 'the consumer is cancelled at once');
  const replies = await Promise.all(calls);
  t.same(
    replies.map((r) => r.value),
    [1, 2, 3],
    'every in-flight call got its reply',
  );
  await stopped;
  t.match(server.metrics(), { handled: 3, inFlight: 0 });
  // After stop, a new call stays queued: nobody consumes any more.
  const model = await admin();
  const ch = await model.createChannel();
  const late = (await client
    .call(queue, { value: 4 }, { timeoutMs: 300 })
    .catch((e: unknown) => e)) as RpcError;
  t.equal(late.code, 'RPC_TIMEOUT');
  t.equal((await ch.checkQueue(queue)).consumerCount, 0);
  await model.close();
});

t.test('a server emits consuming and batch events', async (t) => {
  const queue = unique('events');
  const server = new EchoServer({ url: AMQP_URL, queue, logger: null });
  const consuming = once(server, 'consuming');
  await server.start();
  await consuming;
  const client = new RpcClient({ url: AMQP_URL, logger: null });
  await client.connect();
  t.teardown(async () => {
    await client.close();
    await server.stop();
    await deleteQueues(queue);
  });
  const batch = once(server, 'batch');
  await client.call(queue, {});
  t.same((await batch)[0], { size: 1 });
});

t.test('a slow message does not hold finished ones against the prefetch', async (t) => {
  const queue = unique('prefetch');
  const server = new EchoServer({
    url: AMQP_URL,
    queue,
    logger: null,
    prefetch: 2,
    concurrency: 2,
  });
  await server.start();
  const client = new RpcClient({ url: AMQP_URL, logger: null });
  await client.connect();
  t.teardown(async () => {
    server.release();
    await client.close();
    await server.stop();
    await deleteQueues(queue);
  });
  const order: string[] = [];
  const slow = client.call(queue, { delayMs: 30_000 }).then(() => order.push('slow'));
  await until(() => server.seen.length === 1);
  // Two slots: one is stuck on the slow message. Each fast one must be acked on its own, or the
  // second slot stays occupied and the rest never arrive.
  for (let i = 0; i < 5; i++) await client.call(queue, { value: i });
  order.push('fast');
  server.release();
  await slow;
  t.same(order, ['fast', 'slow'], 'five fast calls finished while the slow one was held');
});
