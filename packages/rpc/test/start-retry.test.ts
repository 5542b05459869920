// Regressions: connect()/start() could not succeed after a first failure on the same instance,
// close()/stop() after a failed first connect resolved while a socket handle was still open,
// and presence opened a second channel (and sent a second probe) on every start.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import type { Server, Socket } from 'node:net';
import { createServer, connect as dial } from 'node:net';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import t from 'tap';
import { freePort } from '../../../scripts/free-port.mjs';
import { PresencePublisher, PresenceTracker, RpcClient, RpcError } from '../src/index.js';
import { AMQP_URL, admin, deleteQueues, EchoServer, unique, until } from './helpers.js';

const run = promisify(execFile);

/** Forwards `port` to the real broker, so "the broker comes up" can happen mid-test. */
async function forwardToBroker(t: Test, port: number): Promise<void> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = dial(5672, '127.0.0.1');
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(a);
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
    }
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    server.close();
    await once(server, 'close');
  });
}

function sockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
}

function code(t: Test, error: unknown, expected: string): void {
  t.type(error, RpcError);
  t.equal((error as RpcError).code, expected);
}

function presenceNames(t: Test) {
  const exchange = unique('presence');
  const probeExchange = unique('probe');
  t.teardown(async () => {
    const model = await admin();
    const ch = await model.createChannel();
    await ch.deleteExchange(exchange);
    await ch.deleteExchange(probeExchange);
    await model.close();
  });
  return { exchange, probeExchange, logger: null };
}

t.test('close() and stop() after a failed first connect leave no socket handle', async (t) => {
  const url = `amqp://guest:guest@127.0.0.1:${await freePort()}`;
  // This test runs first, so nothing else in this process holds a TCP socket yet.
  const before = sockets();
  t.equal(before, 0, 'no socket before');
  const client = new RpcClient({ url, logger: null });
  await client.connect().catch(() => undefined);
  await client.close();
  t.equal(sockets(), before, 'RpcClient');

  const server = new EchoServer({ url, queue: unique('leak'), logger: null });
  await server.start().catch(() => undefined);
  await server.stop();
  t.equal(sockets(), before, 'RpcServer');

  const tracker = new PresenceTracker({ url, logger: null });
  await tracker.start().catch(() => undefined);
  await tracker.stop();
  t.equal(sockets(), before, 'PresenceTracker');

  const publisher = new PresencePublisher({ url, service: 's', meta: () => 0, ready: () => true });
  await publisher.start().catch(() => undefined);
  await publisher.stop();
  t.equal(sockets(), before, 'PresencePublisher');
});

t.test(
  'an RpcClient whose first connect failed connects and calls on a later connect()',
  async (t) => {
    const port = await freePort();
    const queue = unique('retry');
    const server = new EchoServer({ url: AMQP_URL, queue, logger: null });
    await server.start();
    const client = new RpcClient({ url: `amqp://guest:guest@127.0.0.1:${port}`, logger: null });
    t.teardown(async () => {
      await client.close();
      await server.stop();
      await deleteQueues(queue);
    });
    code(t, await client.connect().catch((err: unknown) => err), 'RPC_UNAVAILABLE');
    await forwardToBroker(t, port);
    await client.connect();
    t.equal(client.connected, true);
    const reply = await client.call<{ value: unknown }>(queue, { value: 7 }, { timeoutMs: 5000 });
    t.equal(reply.value, 7);
    t.equal(client.metrics().reconnects, 0, 'a retried first connect is not a reconnect');
  },
);

t.test('an RpcServer whose first start failed consumes on a later start()', async (t) => {
  const port = await freePort();
  const queue = unique('retry');
  const server = new EchoServer({
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    queue,
    logger: null,
  });
  const client = new RpcClient({ url: AMQP_URL, logger: null });
  t.teardown(async () => {
    await client.close();
    await server.stop();
    await deleteQueues(queue);
  });
  code(t, await server.start().catch((err: unknown) => err), 'RPC_UNAVAILABLE');
  t.equal(server.consuming, false);
  await forwardToBroker(t, port);
  await server.start();
  t.equal(server.consuming, true);
  await client.connect();
  const reply = await client.call<{ value: unknown }>(queue, { value: 'x' }, { timeoutMs: 5000 });
  t.equal(reply.value, 'x');
});

t.test('a PresenceTracker whose first start failed tracks on a later start()', async (t) => {
  const port = await freePort();
  const names = presenceNames(t);
  const tracker = new PresenceTracker({ ...names, url: `amqp://guest:guest@127.0.0.1:${port}` });
  const publisher = new PresencePublisher({
    ...names,
    url: AMQP_URL,
    service: unique('svc'),
    meta: () => ({}),
    ready: () => true,
  });
  t.teardown(async () => {
    await publisher.stop();
    await tracker.stop();
  });
  code(t, await tracker.start().catch((err: unknown) => err), 'RPC_UNAVAILABLE');
  await forwardToBroker(t, port);
  await tracker.start();
  await publisher.start();
  await until(() => tracker.services().length === 1);
  t.equal(tracker.liveInstances(tracker.services()[0] as string), 1);
});

t.test('a PresencePublisher whose first start failed announces on a later start()', async (t) => {
  const port = await freePort();
  const names = presenceNames(t);
  const service = unique('svc');
  const tracker = new PresenceTracker({ ...names, url: AMQP_URL });
  const publisher = new PresencePublisher({
    ...names,
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    service,
    meta: () => ({}),
    ready: () => true,
  });
  t.teardown(async () => {
    await publisher.stop();
    await tracker.stop();
  });
  await tracker.start();
  code(t, await publisher.start().catch((err: unknown) => err), 'RPC_UNAVAILABLE');
  await forwardToBroker(t, port);
  await publisher.start();
  await until(() => tracker.liveInstances(service) === 1);
  t.pass('the tracker sees the publisher');
});

t.test('a stopped tracker or publisher does not start again', async (t) => {
  const tracker = new PresenceTracker({ logger: null });
  await tracker.stop();
  code(t, await tracker.start().catch((err: unknown) => err), 'RPC_CLOSED');
  const publisher = new PresencePublisher({ service: 's', meta: () => 0, ready: () => true });
  await publisher.stop();
  code(t, await publisher.start().catch((err: unknown) => err), 'RPC_CLOSED');
});

t.test('a started tracker and publisher each hold one channel on their connection', async (t) => {
  const names = presenceNames(t);
  const trackerName = unique('tracker-conn');
  const publisherName = unique('publisher-conn');
  const tracker = new PresenceTracker({ ...names, url: AMQP_URL, connectionName: trackerName });
  const publisher = new PresencePublisher({
    ...names,
    url: AMQP_URL,
    connectionName: publisherName,
    service: unique('svc'),
    meta: () => ({}),
    ready: () => true,
  });
  t.teardown(async () => {
    await publisher.stop();
    await tracker.stop();
  });
  await tracker.start();
  await publisher.start();
  const { stdout } = await run('rabbitmqctl', [
    'list_connections',
    'client_properties',
    'channels',
    '--quiet',
    '--no-table-headers',
  ]);
  const channelsOf = (name: string): number[] =>
    stdout
      .split('\n')
      .filter((line) => line.includes(`{"connection_name","${name}"}`))
      .map((line) => Number(line.split('\t').at(-1)));
  t.same(channelsOf(trackerName), [1], 'the tracker: one connection, one channel');
  t.same(channelsOf(publisherName), [1], 'the publisher: one connection, one channel');
});
