// RPC round-trip benchmark: @mlapi/rpc against a minimal hand-written amqplib direct reply-to
// loop and rabbitmq-client's RPCClient, one after another on the same broker, in this process.
// Each cell runs `concurrency` closed loops (one call in flight each) for a fixed time after a
// short warm-up, split into rounds interleaved across implementations (never two at once).
// Writes <repo>/bench-results/rpc.json.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { connect } from 'amqplib';
import { Connection } from 'rabbitmq-client';
import { RpcClient, RpcServer } from '../src/index.js';

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const DURATION_MS = positive('BENCH_DURATION_MS', 5000);
const WARMUP_MS = positive('BENCH_WARMUP_MS', 1000);
const ROUNDS = positive('BENCH_ROUNDS', 5);
const CONCURRENCY = [1, 64, 256];
// Every server may hold this many unacked messages, so none throttles the c256 cell.
const PREFETCH = 512;
const PAYLOAD = { inputs: [[5.1, 3.5, 1.4, 0.2]] };
const REPLY_TO = 'amq.rabbitmq.reply-to';
const QUEUE_ARGS = {
  'x-queue-type': 'classic',
  'x-max-length': 100_000,
  'x-overflow': 'reject-publish',
};
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

type Call = () => Promise<unknown>;
interface Subject {
  call: Call;
  close(): Promise<void>;
}
interface Impl {
  name: string;
  start(queue: string): Promise<Subject>;
}
interface Row {
  impl: string;
  concurrency: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
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

const mlapi: Impl = {
  name: 'mlapi-rpc',
  async start(queue) {
    const server = new EchoServer({
      url: AMQP_URL,
      queue,
      prefetch: PREFETCH,
      concurrency: PREFETCH,
      maxLength: 100_000,
      logger: null,
    });
    await server.start();
    const client = new RpcClient({ url: AMQP_URL, logger: null });
    await client.connect();
    return {
      call: () => client.call(queue, PAYLOAD),
      async close() {
        await client.close();
        await server.stop();
      },
    };
  },
};

// --- a minimal amqplib direct reply-to client and server ------------------------------------

async function plainServer(queue: string): Promise<ChannelModel> {
  const model = await connect(AMQP_URL, { noDelay: true });
  const ch = await model.createChannel();
  await ch.assertQueue(queue, { durable: true, arguments: QUEUE_ARGS });
  await ch.prefetch(PREFETCH);
  await ch.consume(queue, (msg) => {
    if (msg === null) return;
    const result = JSON.parse(msg.content.toString());
    ch.sendToQueue(msg.properties.replyTo, Buffer.from(JSON.stringify({ ok: true, result })), {
      correlationId: msg.properties.correlationId,
      contentType: 'application/json',
    });
    ch.ack(msg);
  });
  return model;
}

const plain: Impl = {
  name: 'amqplib-plain',
  async start(queue) {
    const server = await plainServer(queue);
    const model = await connect(AMQP_URL, { noDelay: true });
    const ch: Channel = await model.createChannel();
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
    return {
      call: () =>
        new Promise((resolve) => {
          const id = String(next++);
          pending.set(id, resolve);
          ch.sendToQueue(queue, Buffer.from(JSON.stringify(PAYLOAD)), {
            correlationId: id,
            replyTo: REPLY_TO,
            contentType: 'application/json',
          });
        }),
      async close() {
        await model.close();
        await server.close();
      },
    };
  },
};

// --- rabbitmq-client's RPCClient, against the same plain server ------------------------------

function rabbitmqClient(confirm: boolean): Impl {
  return {
    name: confirm ? 'rabbitmq-client-confirm' : 'rabbitmq-client',
    async start(queue) {
      const server = await plainServer(queue);
      const rabbit = new Connection({ url: AMQP_URL, noDelay: true });
      rabbit.on('error', (err) => console.error('rabbitmq-client:', err));
      const rpc = rabbit.createRPCClient({ confirm });
      return {
        call: async () => (await rpc.send({ routingKey: queue }, PAYLOAD)).body,
        async close() {
          await rpc.close();
          await rabbit.close();
          await server.close();
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

/** A cell's samples and measured time, gathered over several rounds. */
interface Tally {
  samples: Samples;
  elapsed: number;
}

async function measure(call: Call, concurrency: number, ms: number, tally: Tally): Promise<void> {
  const started = performance.now();
  await loops(call, concurrency, ms, tally.samples);
  tally.elapsed += performance.now() - started;
}

function toRow(impl: string, concurrency: number, tally: Tally): Row {
  return {
    impl,
    concurrency,
    rps: Math.round((tally.samples.length / tally.elapsed) * 1000),
    p50_ms: round(tally.samples.percentile(50)),
    p99_ms: round(tally.samples.percentile(99)),
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
  const impls = [mlapi, plain, rabbitmqClient(false), rabbitmqClient(true)];
  console.log(
    `rpc bench: ${impls.length} implementations x concurrency ${CONCURRENCY.join('/')}, ` +
      `${WARMUP_MS} ms warm-up + ${DURATION_MS} ms per cell in ${ROUNDS} interleaved rounds, ` +
      `broker ${new URL(AMQP_URL).host}`,
  );
  // Every implementation is started up front (idle ones cost nothing) and the cells are
  // measured in interleaved rounds, so background load on this shared machine falls on all
  // implementations alike instead of on whichever happened to run during a busy spell.
  const subjects: Array<{ impl: Impl; queue: string; subject: Subject }> = [];
  const rows: Row[] = [];
  try {
    for (const impl of impls) {
      const queue = `bench.rpc.${impl.name}.${randomBytes(4).toString('hex')}`;
      subjects.push({ impl, queue, subject: await impl.start(queue) });
    }
    for (const c of CONCURRENCY) {
      const tallies = subjects.map(() => ({ samples: new Samples(), elapsed: 0 }));
      process.stdout.write(`c=${c}: warming up`);
      for (const { subject } of subjects) await loops(subject.call, c, WARMUP_MS, null);
      for (let r = 0; r < ROUNDS; r++) {
        process.stdout.write(` | round ${r + 1}/${ROUNDS}`);
        for (const [i, { subject }] of subjects.entries()) {
          await measure(subject.call, c, DURATION_MS / ROUNDS, tallies[i] as Tally);
        }
      }
      process.stdout.write('\n');
      for (const [i, { impl }] of subjects.entries()) {
        const row = toRow(impl.name, c, tallies[i] as Tally);
        rows.push(row);
        console.log(
          `  ${impl.name.padEnd(24)} ${row.rps} rt/s, p50 ${row.p50_ms} ms, p99 ${row.p99_ms} ms`,
        );
      }
    }
  } finally {
    for (const { subject, queue } of subjects) {
      await subject.close();
      await deleteQueue(queue);
    }
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
      `${'p99 ms'.padStart(8)} ${'vs amqplib'.padStart(11)} ${'vs rmq-client'.padStart(14)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.impl.padEnd(24)} ${String(r.concurrency).padStart(4)} ${String(r.rps).padStart(8)} ` +
        `${r.p50_ms.toFixed(3).padStart(8)} ${r.p99_ms.toFixed(3).padStart(8)} ` +
        `${ratio(r, find('amqplib-plain', r.concurrency)).padStart(11)} ` +
        `${ratio(r, find('rabbitmq-client', r.concurrency)).padStart(14)}`,
    );
  }
  const out = join(ROOT, 'bench-results', 'rpc.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(rows, null, 2)}\n`);
  console.log(`\nwrote ${out}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
