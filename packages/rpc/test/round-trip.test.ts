import type { ConsumeMessage } from 'amqplib';
import t from 'tap';
import { RpcClient } from '../src/index.js';
import { AMQP_URL, admin, EchoServer, startPair, unique } from './helpers.js';

t.test('a round trip works', async (t) => {
  const queue = unique('rt');
  const server = new EchoServer({ url: AMQP_URL, queue, logger: null });
  const client = await startPair(t, server);

  t.ok(server.consuming, 'the server is consuming');
  t.ok(client.connected, 'the client is connected');
  const reply = await client.call<{ value: unknown }>(queue, { value: { hello: 'world' } });
  t.same(reply.value, { hello: 'world' });
  t.equal(client.metrics().replies, 1);
  t.equal(server.metrics().handled, 1);
});

t.test('2,000 concurrent calls with distinct payloads each get their own answer', async (t) => {
  const queue = unique('many');
  const server = new EchoServer({
    url: AMQP_URL,
    queue,
    logger: null,
    prefetch: 256,
    concurrency: 64,
  });
  const client = await startPair(t, server);

  const n = 2000;
  const replies = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      client.call<{ value: { i: number; s: string } }>(queue, { value: { i, s: `payload-${i}` } }),
    ),
  );
  let mismatches = 0;
  for (let i = 0; i < n; i++) {
    const value = replies[i]?.value;
    if (value?.i !== i || value.s !== `payload-${i}`) mismatches++;
  }
  t.equal(mismatches, 0, 'every caller got its own answer');
  const m = client.metrics();
  t.equal(m.inFlight, 0);
  t.equal(m.replies, n);
  t.equal(m.lateReplies, 0);
});

t.test('a call carries the DESIGN.md request properties and headers', async (t) => {
  const queue = unique('props');
  const model = await admin();
  const ch = await model.createChannel();
  await ch.assertQueue(queue, { durable: false, autoDelete: true });
  const client = new RpcClient({ url: AMQP_URL, logger: null });
  await client.connect();
  t.teardown(async () => {
    await client.close();
    await ch.deleteQueue(queue);
    await model.close();
  });

  const got = new Promise<ConsumeMessage>((resolve) => {
    ch.consume(queue, (m) => m && resolve(m), { noAck: true });
  });
  const before = Date.now();
  const call = client.call(
    queue,
    { x: 1 },
    {
      timeoutMs: 2000,
      requestId: 'req-123',
      type: 'predict',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      headers: { 'x-custom': 'yes', 'x-deadline': 1 },
    },
  );
  call.catch(() => undefined);
  const m = await got;
  const p = m.properties;
  t.equal(p.messageId, 'req-123');
  t.equal(p.type, 'predict');
  t.equal(p.contentType, 'application/json');
  t.equal(p.replyTo?.startsWith('amq.rabbitmq.reply-to'), true, 'direct reply-to');
  t.type(p.correlationId, 'string');
  t.type(p.timestamp, 'number');
  const expiration = Number(p.expiration);
  t.ok(expiration > 0 && expiration <= 2000, `expiration is the ms left (${p.expiration})`);
  const deadline = p.headers?.['x-deadline'] as number;
  t.ok(deadline >= before + 2000 && deadline <= Date.now() + 2000, 'x-deadline is epoch ms');
  t.equal(p.headers?.['x-mlapi-envelope'], 1);
  t.equal(p.headers?.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  t.equal(p.headers?.['x-custom'], 'yes', 'caller headers pass through');
  t.same(JSON.parse(m.content.toString()), { x: 1 });
  // Answer it like a server would, to settle the call.
  ch.sendToQueue(p.replyTo as string, Buffer.from('{"ok":true,"result":7}'), {
    correlationId: p.correlationId,
  });
  t.equal(await call, 7);
});

t.test('the server context carries request id, type, deadline and headers', async (t) => {
  const queue = unique('ctx');
  const server = new EchoServer({ url: AMQP_URL, queue, logger: null });
  const client = await startPair(t, server);
  const deadline = Date.now() + 5000;
  const reply = await client.call<{ context: Record<string, unknown> }>(
    queue,
    { value: 1 },
    { deadline, requestId: 'abc', type: 'predict' },
  );
  t.match(reply.context, { requestId: 'abc', type: 'predict', deadline, redelivered: false });
});
