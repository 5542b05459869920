import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { ChannelModel } from 'amqplib';
import { connect } from 'amqplib';
import type { Test } from 'tap';
import type { RpcClientOptions, RpcContext } from '../src/index.js';
import { RemoteError, RpcClient, RpcServer } from '../src/index.js';

export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const run = promisify(execFile);

/** A name no other test (or teammate) uses: queues, exchanges, connection names. */
export function unique(prefix: string): string {
  return `test.rpc.${prefix}.${process.pid}.${randomBytes(4).toString('hex')}`;
}

/** A plain amqplib connection for setting up and cleaning up around a test. */
export async function admin(): Promise<ChannelModel> {
  return connect(AMQP_URL);
}

export async function deleteQueues(...queues: string[]): Promise<void> {
  const model = await admin();
  try {
    const ch = await model.createChannel();
    for (const q of queues) await ch.deleteQueue(q);
  } finally {
    await model.close();
  }
}

/**
 * Starts `server`, connects a client to the same broker, and after the test closes the client,
 * stops the server and deletes its queue.
 */
export async function startPair<TReq, TRes>(
  t: Test,
  server: RpcServer<TReq, TRes>,
  clientOptions: RpcClientOptions = {},
): Promise<RpcClient> {
  await server.start();
  const client = new RpcClient({ url: AMQP_URL, logger: null, ...clientOptions });
  await client.connect();
  t.teardown(async () => {
    await client.close();
    await server.stop();
    await deleteQueues(server.queue);
  });
  return client;
}

/**
 * Closes, broker-side, only the connections whose connection_name is `name` (never everyone's:
 * teammates share this broker). Returns how many it closed.
 */
export async function closeConnectionsNamed(name: string): Promise<number> {
  // The plain format, not JSON: close_connection wants the pid as <rabbit@host.x.y.z>, which
  // is how this format prints it.
  const { stdout } = await run('rabbitmqctl', [
    'list_connections',
    'pid',
    'client_properties',
    '--quiet',
    '--no-table-headers',
  ]);
  const marker = `{"connection_name","${name}"}`;
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(marker))
    .map((line) => line.split('\t')[0] as string);
  for (const pid of pids) {
    await run('rabbitmqctl', ['close_connection', pid, 'test: broker-side close', '--quiet']);
  }
  return pids.length;
}

export interface EchoRequest {
  value?: unknown;
  delayMs?: number;
  throwCode?: string;
  throwPlain?: boolean;
}

/** Replies with what it got; waits or throws on request. Records every request it handled. */
export class EchoServer extends RpcServer<EchoRequest, { value: unknown; context: object }> {
  readonly seen: EchoRequest[] = [];
  readonly #waits = new Set<() => void>();

  /** Ends every handler's delay now, so stop() need not wait them out. */
  release(): void {
    for (const done of this.#waits) done();
  }

  protected override async handle(request: EchoRequest, context: RpcContext) {
    this.seen.push(request);
    if (request.delayMs !== undefined) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.#waits.delete(done);
          resolve();
        };
        const timer = setTimeout(done, request.delayMs);
        this.#waits.add(done);
      });
    }
    if (request.throwCode !== undefined) throw new RemoteError(request.throwCode, 'refused');
    if (request.throwPlain === true) throw new Error('secret internal detail');
    const { requestId, correlationId, type, deadline, headers, redelivered } = context;
    return {
      value: request.value,
      context: { requestId, correlationId, type, deadline, headers, redelivered },
    };
  }
}

export function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (check()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error('condition not met in time'));
      else setTimeout(poll, 10);
    };
    poll();
  });
}

/** Timeout objects alive in this process (what a leaked timer shows up as). */
export function liveTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}
