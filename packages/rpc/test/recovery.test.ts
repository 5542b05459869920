import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { RpcError } from '../src/index.js';
import { RpcClient } from '../src/index.js';
import {
  AMQP_URL,
  closeConnectionsNamed,
  deleteQueues,
  EchoServer,
  startPair,
  unique,
  until,
} from './helpers.js';

function withinOneSecond<T>(promise: Promise<T>): Promise<T | 'still pending'> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'still pending'>((resolve) => {
    timer = setTimeout(() => resolve('still pending'), 1000);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

t.test(
  'connections closed by the broker: pending calls reject RPC_CLOSED within a second, both sides recover, later calls succeed',
  async (t) => {
    const queue = unique('recover');
    const clientName = unique('client-conn');
    const serverName = unique('server-conn');
    const server = new EchoServer({
      url: AMQP_URL,
      queue,
      logger: null,
      connectionName: serverName,
      concurrency: 8,
    });
    await server.start();
    const client = new RpcClient({ url: AMQP_URL, logger: null, connectionName: clientName });
    await client.connect();
    t.teardown(async () => {
      server.release();
      await client.close();
      await server.stop();
      await deleteQueues(queue);
    });
    t.equal(client.metrics().channels, 4, 'connect() resolves with the whole pool open');
    const disconnected = once(client, 'disconnect');

    // Calls the server holds for 60 s, under a 30 s timeout: only the close can end them early.
    const pending = Array.from({ length: 5 }, (_, i) =>
      client.call(queue, { value: i, delayMs: 60_000 }).catch((e: RpcError) => e.code),
    );
    await until(() => server.seen.length === 5);
    t.equal(await closeConnectionsNamed(clientName), 1, 'closed the client connection');
    const codes = await withinOneSecond(Promise.all(pending));
    t.same(codes, Array(5).fill('RPC_CLOSED'), 'every pending call rejected RPC_CLOSED in time');
    await disconnected;

    await until(() => client.connected && client.metrics().channels === 4);
    t.equal(client.metrics().reconnects, 1, 'the client reconnected');
    t.equal(client.metrics().inFlight, 0, 'no pending entries survive the loss');

    t.equal(await closeConnectionsNamed(serverName), 1, 'closed the server connection');
    server.release();
    await until(() => server.metrics().reconnects === 1 && server.consuming);
    t.pass('the server reconnected and consumes again');

    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => client.call<{ value: number }>(queue, { value: i })),
    );
    t.ok(
      replies.every((r, i) => r.value === i),
      'later calls succeed',
    );
  },
);

t.test(
  'a call the server holds when its connection drops is redelivered and succeeds',
  async (t) => {
    const queue = unique('redeliver-conn');
    const serverName = unique('server-conn');
    const server = new EchoServer({
      url: AMQP_URL,
      queue,
      logger: null,
      connectionName: serverName,
    });
    const client = await startPair(t, server);
    const call = client.call<{ context: { redelivered: boolean } }>(queue, { delayMs: 4000 });
    await until(() => server.seen.length === 1);
    await closeConnectionsNamed(serverName);
    const reply = await call;
    t.equal(reply.context.redelivered, true, 'answered from the redelivery');
    t.equal(server.seen.length, 2, 'handled twice: the first answer was lost with its channel');
  },
);

t.test(
  'a server killed mid-call: the message goes to a second server, and the call succeeds',
  async (t) => {
    const queue = unique('kill');
    const fixture = fileURLToPath(new URL('./fixtures/hold-server.ts', import.meta.url));
    // The same TypeScript loader tap gave this process.
    const loader = process.execArgv.filter((arg) => arg.includes('typescript'));
    const child = spawn(process.execPath, [...loader, fixture, queue], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const client = new RpcClient({ url: AMQP_URL, logger: null });
    let second: EchoServer | null = null;
    t.teardown(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await client.close();
      await second?.stop();
      await deleteQueues(queue);
    });
    await until(() => out.includes('ready'), 20_000);
    await client.connect();
    const call = client.call<{ value: string; context: { redelivered: boolean } }>(
      queue,
      { value: 'survives' },
      { timeoutMs: 20_000 },
    );
    await until(() => out.includes('got'));
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    const [, signal] = await exited;
    t.equal(signal, 'SIGKILL', 'the first server died holding the message');

    second = new EchoServer({ url: AMQP_URL, queue, logger: null });
    await second.start();
    const reply = await call;
    t.equal(reply.value, 'survives');
    t.equal(reply.context.redelivered, true, 'the second server got the redelivery');
  },
);

t.test('connect() to an unreachable broker rejects RPC_UNAVAILABLE', async (t) => {
  const client = new RpcClient({ url: 'amqp://guest:guest@127.0.0.1:1', logger: null });
  const error = (await client.connect().catch((e) => e)) as RpcError;
  t.equal(error.code, 'RPC_UNAVAILABLE');
  const call = (await client.call('q', {}).catch((e) => e)) as RpcError;
  t.ok(['RPC_UNAVAILABLE', 'RPC_CLOSED'].includes(call.code), 'calls fail fast, not hang');
  await client.close();
});
