import { execFile } from 'node:child_process';
import { Socket } from 'node:net';
import { promisify } from 'node:util';
import type { ChannelModel } from 'amqplib';
import { connect } from 'amqplib';
import type { Test } from 'tap';
import t from 'tap';
import { CHECKED_AMQPLIB_VERSION, installedAmqplibVersion } from '../src/amqplib-version.js';
import type { RpcBatchItem } from '../src/index.js';
import { RpcClient, RpcServer } from '../src/index.js';
import { silentLogger as silent } from '../src/logger.js';
import { coalesceWrites } from '../src/write-coalescing.js';
import { AMQP_URL, deleteQueues, unique, until } from './helpers.js';

const run = promisify(execFile);

interface CountedSocket {
  _write: (...args: unknown[]) => unknown;
  _writev: (...args: unknown[]) => unknown;
}

/** Counts the writes that reach the socket's handle (each is one write or writev syscall). */
function countWrites(model: ChannelModel): { writes: number } {
  const socket = (model as unknown as { connection: { stream: CountedSocket } }).connection.stream;
  const counter = { writes: 0 };
  const write = socket._write;
  const writev = socket._writev;
  socket._write = function (this: unknown, ...args: unknown[]) {
    counter.writes++;
    return write.apply(this, args);
  };
  socket._writev = function (this: unknown, ...args: unknown[]) {
    counter.writes++;
    return writev.apply(this, args);
  };
  return counter;
}

/** Publishes 50 messages and a queue.declare in one turn; resolves with the socket writes. */
async function writesForOneTurn(t: Test, model: ChannelModel, queue: string): Promise<number> {
  const ch = await model.createChannel();
  await ch.assertQueue(queue, { durable: false });
  const counter = countWrites(model);
  for (let i = 0; i < 50; i++) ch.sendToQueue(queue, Buffer.from(String(i)));
  // Its reply proves the broker read every publish written before it.
  await ch.checkQueue(queue);
  const writes = counter.writes;
  const got: string[] = [];
  await ch.consume(queue, (message) => got.push(message?.content.toString() ?? ''), {
    noAck: true,
  });
  await until(() => got.length === 50);
  t.same(
    got,
    Array.from({ length: 50 }, (_, i) => String(i)),
    'every message delivered, in order',
  );
  return writes;
}

t.test('frames written in one turn reach the socket in one write, all delivered', async (t) => {
  const plainQueue = unique('coalesce');
  const queue = unique('coalesce');
  const plain = await connect(AMQP_URL, { noDelay: true });
  const model = await connect(AMQP_URL, { noDelay: true });
  t.teardown(async () => {
    await plain.close();
    await model.close();
    await deleteQueues(plainQueue, queue);
  });
  t.equal(await writesForOneTurn(t, plain, plainQueue), 51, 'unpatched: one write per frame group');
  t.equal(coalesceWrites(model), 'patched', 'the hook is in place');
  t.equal(await writesForOneTurn(t, model, queue), 1, 'patched: one write for all 51');
});

t.test(
  'another amqplib version is left unpatched, with one loud warning per process',
  async (t) => {
    t.equal(
      installedAmqplibVersion(),
      CHECKED_AMQPLIB_VERSION,
      'package.json pins the checked one',
    );
    const model = await connect(AMQP_URL, { noDelay: true });
    t.teardown(() => model.close());
    const muxer = (model as unknown as { connection: { muxer: { _readIncoming: unknown } } })
      .connection.muxer;
    const readIncoming = muxer._readIncoming;
    const warnings: object[] = [];
    const log = { ...silent, warn: (fields: object) => warnings.push(fields) };
    t.equal(coalesceWrites(model, log, '2.4.0'), 'version-mismatch');
    t.equal(muxer._readIncoming, readIncoming, 'left as it was');
    t.same(
      warnings,
      [{ installed: '2.4.0', checked: CHECKED_AMQPLIB_VERSION }],
      'said at warn level',
    );
    t.equal(coalesceWrites(model, log, null), 'version-mismatch', 'an unreadable version too');
    t.equal(warnings.length, 1, 'once per process, not per connection');
  },
);

t.test('without the internals it expects, the hook changes nothing and says so', async (t) => {
  t.equal(coalesceWrites({} as ChannelModel), 'internals-missing');
  const noMuxer = { connection: { stream: {} } } as unknown as ChannelModel;
  t.equal(coalesceWrites(noMuxer), 'internals-missing');
  const readIncoming = (): void => undefined;
  const plainOut = { connection: { stream: {}, muxer: { _readIncoming: readIncoming, out: {} } } };
  t.equal(
    coalesceWrites(plainOut as unknown as ChannelModel),
    'internals-missing',
    'out cannot cork',
  );
  t.equal(plainOut.connection.muxer._readIncoming, readIncoming, 'left as it was');
});

class BatchEcho extends RpcServer<{ value: number }, { value: number }> {
  onBatch: () => void = () => undefined;

  protected override async handle(request: { value: number }) {
    return request;
  }

  protected override async handleBatch(items: readonly RpcBatchItem<{ value: number }>[]) {
    this.onBatch();
    return items.map((item) => ({ ok: true as const, result: item.request }));
  }
}

/** The local port of the one broker connection named `name`, from the broker's side. */
async function localPortOf(name: string): Promise<number> {
  const { stdout } = await run('rabbitmqctl', [
    'list_connections',
    'peer_port',
    'client_properties',
    '--quiet',
    '--no-table-headers',
  ]);
  const lines = stdout.split('\n').filter((l) => l.includes(`{"connection_name","${name}"}`));
  if (lines.length !== 1) throw new Error(`expected one connection named ${name}`);
  return Number((lines[0] as string).split('\t')[0]);
}

t.test('a batch is answered and acked in one socket write, with one multiple ack', async (t) => {
  const queue = unique('batch-writes');
  const connectionName = unique('batch-writes-server');
  const server = new BatchEcho({
    url: AMQP_URL,
    queue,
    connectionName,
    logger: null,
    maxBatch: 20,
    // Long enough for all 20 calls to join one batch.
    batchWindowMs: 1000,
  });
  await server.start();
  const client = new RpcClient({ url: AMQP_URL, logger: null });
  await client.connect();
  const port = await localPortOf(connectionName);

  // Count the writes on the server's socket and the acks on any amqplib channel, from the
  // moment the batch is handed over.
  const socketProto = Socket.prototype as unknown as CountedSocket;
  const { _write: write, _writev: writev } = socketProto;
  const probe = await connect(AMQP_URL);
  const channelProto = Object.getPrototypeOf(await probe.createChannel()) as {
    ack: (message: unknown, allUpTo?: boolean) => void;
  };
  await probe.close();
  const ack = channelProto.ack;
  let counting = false;
  let writes = 0;
  const acks: boolean[] = [];
  server.onBatch = () => {
    counting = true;
  };
  const counted = (original: (...args: unknown[]) => unknown) =>
    function (this: Socket, ...args: unknown[]) {
      if (counting && this.localPort === port) writes++;
      return original.apply(this, args);
    };
  socketProto._write = counted(write);
  socketProto._writev = counted(writev);
  channelProto.ack = function (this: unknown, message: unknown, allUpTo?: boolean) {
    if (counting) acks.push(allUpTo === true);
    return ack.call(this, message, allUpTo);
  };
  t.teardown(async () => {
    socketProto._write = write;
    socketProto._writev = writev;
    channelProto.ack = ack;
    await client.close();
    await server.stop();
    await deleteQueues(queue);
  });

  const replies = await Promise.all(
    Array.from({ length: 20 }, (_, i) => client.call<{ value: number }>(queue, { value: i })),
  );
  t.same(
    replies.map((r) => r.value),
    Array.from({ length: 20 }, (_, i) => i),
  );
  t.equal(server.metrics().batches, 1, 'one batch of 20');
  t.same(acks, [true], 'one ack, with multiple set');
  t.equal(writes, 1, '20 replies and the ack in one write');
});
