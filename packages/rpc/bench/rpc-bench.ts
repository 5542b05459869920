// RPC round-trip benchmark: @mlapi/rpc against a minimal hand-written amqplib direct reply-to
// loop (bare, and doing the same wire work as ours: "amqplib-contract") and rabbitmq-client's
// RPCClient (without and with confirms), one after another on the same broker. The clients run
// in this process and every server in one forked child, as the gateway and the workers do, so
// the CPU each side spends per round trip can be told apart (process.cpuUsage of each, plus the
// broker's from /proc/<beam pid>/stat when it runs on this machine). Each cell runs
// `concurrency` closed loops (one call in flight each) for a fixed time after a short warm-up,
// split into rounds interleaved across implementations (never two at once).
// Writes <repo>/bench-results/local/rpc.json (untracked); with --save, the committed
// <repo>/bench-results/rpc.json.

import type { ChildProcess } from 'node:child_process';
import { execFileSync, fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Channel, ConsumeMessage } from 'amqplib';
import { connect } from 'amqplib';
import { Connection } from 'rabbitmq-client';
import { RpcClient, RpcServer } from '../src/index.js';

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const DURATION_MS = positive('BENCH_DURATION_MS', 5000);
const WARMUP_MS = positive('BENCH_WARMUP_MS', 1000);
const ROUNDS = positive('BENCH_ROUNDS', 5);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,64,256').split(',').map(Number);
// Every server may hold this many unacked messages, so none throttles the c256 cell.
const PREFETCH = 512;
const PAYLOAD = { inputs: [[5.1, 3.5, 1.4, 0.2]] };
const REPLY_TO = 'amq.rabbitmq.reply-to';
const CONTENT_TYPE = 'application/json';
const QUEUE_ARGS = {
  'x-queue-type': 'classic',
  'x-max-length': 100_000,
  'x-overflow': 'reject-publish',
};
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SAVE = process.argv.includes('--save');
const OUT = process.env.BENCH_OUT ?? join(ROOT, 'bench-results', SAVE ? '' : 'local', 'rpc.json');

type Call = () => Promise<unknown>;
interface Subject {
  call: Call;
  close(): Promise<void>;
}
interface Impl {
  name: string;
  /** Which server the child runs for it. */
  server: ServerKind;
  start(queue: string): Promise<Subject>;
}
type ServerKind = 'mlapi' | 'mlapi-classic' | 'plain';
interface Row {
  impl: string;
  concurrency: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  /** CPU microseconds per round trip: the client process, the server process, the broker. */
  client_cpu_us: number;
  server_cpu_us: number;
  broker_cpu_us: number | null;
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`${name} must be a positive integer`);
    process.exit(2);
  }
  return value;
}

// --- this library ---------------------------------------------------------------------------

class EchoServer extends RpcServer<unknown, unknown> {
  protected override async handle(request: unknown): Promise<unknown> {
    return request;
  }
}

async function mlapiServer(
  queue: string,
  queueType: 'quorum' | 'classic',
): Promise<() => Promise<void>> {
  const server = new EchoServer({
    queueType,
    url: AMQP_URL,
    queue,
    prefetch: PREFETCH,
    concurrency: PREFETCH,
    maxLength: 100_000,
    logger: null,
  });
  await server.start();
  return () => server.stop();
}

/** Our client against our server on a quorum queue (the default) or a classic one. */
function mlapiClient(queueType: 'quorum' | 'classic'): Impl {
  return {
    name: queueType === 'quorum' ? 'mlapi-rpc' : 'mlapi-rpc-classic',
    server: queueType === 'quorum' ? 'mlapi' : 'mlapi-classic',
    async start(queue) {
      const client = new RpcClient({ url: AMQP_URL, logger: null });
      await client.connect();
      return {
        call: () => client.call(queue, PAYLOAD),
        close: () => client.close(),
      };
    },
  };
}

// --- a minimal amqplib direct reply-to client and server ------------------------------------

async function plainServer(queue: string): Promise<() => Promise<void>> {
  const model = await connect(AMQP_URL, { noDelay: true });
  const ch = await model.createChannel();
  await ch.assertQueue(queue, { durable: true, arguments: QUEUE_ARGS });
  await ch.prefetch(PREFETCH);
  await ch.consume(queue, (msg) => {
    if (msg === null) return;
    const result = JSON.parse(msg.content.toString());
    ch.sendToQueue(msg.properties.replyTo, Buffer.from(JSON.stringify({ ok: true, result })), {
      correlationId: msg.properties.correlationId,
      contentType: CONTENT_TYPE,
    });
    ch.ack(msg);
  });
  return () => model.close();
}

/**
 * The minimal direct reply-to client. With `contract`, it does the wire work DESIGN.md asks of
 * ours (a confirm channel, mandatory, messageId, timestamp, type, expiration and the two
 * headers), without the library around it: the cost of the contract itself.
 */
function plainClient(contract: boolean): Impl {
  return {
    name: contract ? 'amqplib-contract' : 'amqplib-plain',
    server: 'plain',
    async start(queue) {
      const model = await connect(AMQP_URL, { noDelay: true });
      const ch: Channel = contract
        ? await model.createConfirmChannel()
        : await model.createChannel();
      const pending = new Map<string, (value: unknown) => void>();
      let next = 0;
      await ch.consume(
        REPLY_TO,
        (msg: ConsumeMessage | null) => {
          if (msg === null) return;
          const id = msg.properties.correlationId as string;
          const resolve = pending.get(id);
          if (resolve === undefined) return;
          pending.delete(id);
          resolve(JSON.parse(msg.content.toString()).result);
        },
        { noAck: true },
      );
      const options = (id: string) => {
        if (!contract) return { correlationId: id, replyTo: REPLY_TO, contentType: CONTENT_TYPE };
        const now = Date.now();
        return {
          correlationId: id,
          replyTo: REPLY_TO,
          contentType: CONTENT_TYPE,
          messageId: randomUUID(),
          timestamp: Math.floor(now / 1000),
          type: 'call',
          expiration: '30000',
          headers: { 'x-deadline': now + 30_000, 'x-mlapi-envelope': 1 },
          mandatory: true,
          persistent: false,
        };
      };
      return {
        call: () =>
          new Promise((resolve) => {
            const id = String(next++);
            pending.set(id, resolve);
            ch.sendToQueue(queue, Buffer.from(JSON.stringify(PAYLOAD)), options(id));
          }),
        close: () => model.close(),
      };
    },
  };
}

// --- rabbitmq-client's RPCClient, against the same plain server ------------------------------

function rabbitmqClient(confirm: boolean): Impl {
  return {
    name: confirm ? 'rabbitmq-client-confirm' : 'rabbitmq-client',
    server: 'plain',
    async start(queue) {
      const rabbit = new Connection({ url: AMQP_URL, noDelay: true });
      rabbit.on('error', (err) => console.error('rabbitmq-client:', err));
      const rpc = rabbit.createRPCClient({ confirm });
      return {
        call: async () => (await rpc.send({ routingKey: queue }, PAYLOAD)).body,
        async close() {
          await rpc.close();
          await rabbit.close();
        },
      };
    },
  };
}

// --- measurement ----------------------------------------------------------------------------

class Samples {
  #data = new Float64Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.length++] = value;
  }

  percentile(p: number): number {
    const sorted = this.#data.subarray(0, this.length).sort();
    return sorted[Math.min(this.length - 1, Math.floor((p / 100) * this.length))] ?? Number.NaN;
  }
}

async function loops(call: Call, concurrency: number, ms: number, samples: Samples | null) {
  const end = performance.now() + ms;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const started = performance.now();
      await call();
      samples?.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
}

// --- CPU accounting ---------------------------------------------------------------------------

/** CPU time in microseconds, by process. */
interface Cpu {
  client: number;
  server: number;
  broker: number | null;
}

const CLOCK_TICKS = clockTicks();

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
}

/** The local RabbitMQ's pid (BENCH_BROKER_PID, or the one beam.smp process), or null. */
function brokerPid(): number | null {
  const given = process.env.BENCH_BROKER_PID;
  if (given !== undefined) return Number(given);
  try {
    const beams = readdirSync('/proc').filter((entry) => {
      if (!/^\d+$/.test(entry)) return false;
      try {
        return readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'beam.smp';
      } catch {
        return false;
      }
    });
    return beams.length === 1 ? Number(beams[0]) : null;
  } catch {
    return null;
  }
}

/** utime + stime of a process, in microseconds; null when it cannot be read. */
function procCpu(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

function cpuTotal(usage: NodeJS.CpuUsage): number {
  return usage.user + usage.system;
}

// --- the server process ------------------------------------------------------------------------

type ToChild =
  | { id: number; op: 'start'; kind: ServerKind; queue: string }
  | { id: number; op: 'cpu' }
  | { id: number; op: 'stop' };
interface FromChild {
  id: number;
  value?: number;
  error?: string;
}

/** Runs in the forked child: starts servers on request, reports its CPU, stops them all. */
function serveChild(): void {
  const stops: Array<() => Promise<void>> = [];
  const answer = (message: FromChild) => process.send?.(message);
  process.on('message', (message: ToChild) => {
    const run = async (): Promise<number | undefined> => {
      if (message.op === 'start') {
        stops.push(
          message.kind === 'plain'
            ? await plainServer(message.queue)
            : await mlapiServer(message.queue, message.kind === 'mlapi' ? 'quorum' : 'classic'),
        );
        return undefined;
      }
      if (message.op === 'cpu') return cpuTotal(process.cpuUsage());
      for (const stop of stops.splice(0)) await stop();
      return undefined;
    };
    run()
      .then(
        (value) => answer(value === undefined ? { id: message.id } : { id: message.id, value }),
        (err: unknown) => answer({ id: message.id, error: String(err) }),
      )
      .finally(() => {
        // Without the IPC channel nothing holds the child open once its servers are stopped.
        if (message.op === 'stop') process.disconnect();
      });
  });
}

/** The parent's handle on the server child. */
class ServerProcess {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, (message: FromChild) => void>();
  #next = 0;

  constructor() {
    this.#child = fork(fileURLToPath(import.meta.url), ['--server'], {
      execArgv: process.execArgv,
      stdio: 'inherit',
    });
    this.#child.on('message', (message: FromChild) => {
      this.#waiting.get(message.id)?.(message);
      this.#waiting.delete(message.id);
    });
  }

  async start(kind: ServerKind, queue: string): Promise<void> {
    await this.#ask({ id: this.#next++, op: 'start', kind, queue });
  }

  async cpu(): Promise<number> {
    return (await this.#ask({ id: this.#next++, op: 'cpu' })).value as number;
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    await this.#ask({ id: this.#next++, op: 'stop' });
    await exited;
  }

  #ask(message: ToChild): Promise<FromChild> {
    return new Promise((resolve, reject) => {
      this.#waiting.set(message.id, (reply) =>
        reply.error === undefined ? resolve(reply) : reject(new Error(reply.error)),
      );
      this.#child.send(message);
    });
  }
}

// --- cells ---------------------------------------------------------------------------------------

/** A cell's samples, measured time and CPU, gathered over several rounds. */
interface Tally {
  samples: Samples;
  elapsed: number;
  cpu: Cpu;
}

async function cpuNow(server: ServerProcess, broker: number | null): Promise<Cpu> {
  return {
    client: cpuTotal(process.cpuUsage()),
    server: await server.cpu(),
    broker: procCpu(broker),
  };
}

async function measure(
  call: Call,
  concurrency: number,
  ms: number,
  tally: Tally,
  server: ServerProcess,
  broker: number | null,
): Promise<void> {
  const before = await cpuNow(server, broker);
  const started = performance.now();
  await loops(call, concurrency, ms, tally.samples);
  tally.elapsed += performance.now() - started;
  const after = await cpuNow(server, broker);
  tally.cpu.client += after.client - before.client;
  tally.cpu.server += after.server - before.server;
  tally.cpu.broker =
    tally.cpu.broker === null || after.broker === null || before.broker === null
      ? null
      : tally.cpu.broker + after.broker - before.broker;
}

function toRow(impl: string, concurrency: number, tally: Tally): Row {
  const n = tally.samples.length;
  return {
    impl,
    concurrency,
    rps: Math.round((n / tally.elapsed) * 1000),
    p50_ms: round(tally.samples.percentile(50)),
    p99_ms: round(tally.samples.percentile(99)),
    client_cpu_us: Math.round(tally.cpu.client / n),
    server_cpu_us: Math.round(tally.cpu.server / n),
    broker_cpu_us: tally.cpu.broker === null ? null : Math.round(tally.cpu.broker / n),
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

async function deleteQueue(queue: string): Promise<void> {
  const model = await connect(AMQP_URL);
  const ch = await model.createChannel();
  await ch.deleteQueue(queue);
  await model.close();
}

function ratio(a: Row | undefined, b: Row | undefined): string {
  return a === undefined || b === undefined ? '-' : `${(a.rps / b.rps).toFixed(2)}x`;
}

async function main(): Promise<void> {
  // BENCH_IMPLS=mlapi-rpc,mlapi-rpc-classic runs only those (the quorum/classic comparison).
  const only = process.env.BENCH_IMPLS?.split(',');
  const impls = [
    mlapiClient('quorum'),
    mlapiClient('classic'),
    plainClient(false),
    plainClient(true),
    rabbitmqClient(false),
    rabbitmqClient(true),
  ].filter((impl) => only === undefined || only.includes(impl.name));
  const broker = brokerPid();
  console.log(
    `rpc bench: ${impls.length} implementations x concurrency ${CONCURRENCY.join('/')}, ` +
      `${WARMUP_MS} ms warm-up + ${DURATION_MS} ms per cell in ${ROUNDS} interleaved rounds, ` +
      `broker ${new URL(AMQP_URL).host}` +
      (broker === null ? ' (its CPU not measured)' : ` (pid ${broker})`),
  );
  // Every implementation is started up front (idle ones cost nothing) and the cells are
  // measured in interleaved rounds, so background load on this shared machine falls on all
  // implementations alike instead of on whichever happened to run during a busy spell.
  const server = new ServerProcess();
  const subjects: Array<{ impl: Impl; queue: string; subject: Subject }> = [];
  const rows: Row[] = [];
  try {
    for (const impl of impls) {
      const queue = `bench.rpc.${impl.name}.${randomBytes(4).toString('hex')}`;
      await server.start(impl.server, queue);
      subjects.push({ impl, queue, subject: await impl.start(queue) });
    }
    for (const c of CONCURRENCY) {
      const tallies: Tally[] = subjects.map(() => ({
        samples: new Samples(),
        elapsed: 0,
        cpu: { client: 0, server: 0, broker: 0 },
      }));
      process.stdout.write(`c=${c}: warming up`);
      for (const { subject } of subjects) await loops(subject.call, c, WARMUP_MS, null);
      for (let r = 0; r < ROUNDS; r++) {
        process.stdout.write(` | round ${r + 1}/${ROUNDS}`);
        for (const [i, { subject }] of subjects.entries()) {
          const tally = tallies[i] as Tally;
          await measure(subject.call, c, DURATION_MS / ROUNDS, tally, server, broker);
        }
      }
      process.stdout.write('\n');
      for (const [i, { impl }] of subjects.entries()) {
        const row = toRow(impl.name, c, tallies[i] as Tally);
        rows.push(row);
        console.log(
          `  ${impl.name.padEnd(24)} ${row.rps} rt/s, p50 ${row.p50_ms} ms, p99 ${row.p99_ms} ms, ` +
            `CPU us/rt client ${row.client_cpu_us} server ${row.server_cpu_us} ` +
            `broker ${row.broker_cpu_us ?? '-'}`,
        );
      }
    }
  } finally {
    for (const { subject } of subjects) await subject.close();
    await server.stop();
    for (const { queue } of subjects) await deleteQueue(queue);
  }
  rows.sort(
    (a, b) =>
      impls.findIndex((i) => i.name === a.impl) - impls.findIndex((i) => i.name === b.impl) ||
      a.concurrency - b.concurrency,
  );

  const find = (impl: string, c: number) =>
    rows.find((r) => r.impl === impl && r.concurrency === c);
  console.log('');
  console.log(
    `${'impl'.padEnd(24)} ${'conc'.padStart(4)} ${'rt/s'.padStart(8)} ${'p50 ms'.padStart(8)} ` +
      `${'p99 ms'.padStart(8)} ${'vs amqplib'.padStart(11)} ${'vs rmq-client'.padStart(14)} ` +
      `${'cpu us/rt: client'.padStart(18)} ${'server'.padStart(7)} ${'broker'.padStart(7)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.impl.padEnd(24)} ${String(r.concurrency).padStart(4)} ${String(r.rps).padStart(8)} ` +
        `${r.p50_ms.toFixed(3).padStart(8)} ${r.p99_ms.toFixed(3).padStart(8)} ` +
        `${ratio(r, find('amqplib-plain', r.concurrency)).padStart(11)} ` +
        `${ratio(r, find('rabbitmq-client', r.concurrency)).padStart(14)} ` +
        `${String(r.client_cpu_us).padStart(18)} ${String(r.server_cpu_us).padStart(7)} ` +
        `${String(r.broker_cpu_us ?? '-').padStart(7)}`,
    );
  }
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(rows, null, 2)}\n`);
  console.log(`\nwrote ${OUT}`);
}

if (process.argv.includes('--server')) {
  serveChild();
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
