// `pnpm bench:models`: what each model costs per row in-process, and how many rows per second
// one worker serves through RabbitMQ at concurrency 64 with dynamic batching on and off.
// Writes bench-results/local/models.json (untracked); with --save, the committed
// bench-results/models.json.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RpcClient } from '@mlapi/rpc';
import { loadModel } from '@mlapi/worker';
import { connect } from 'amqplib';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const MODELS = ['fast', 'intermediate', 'slow'] as const;
const BATCH_ROWS = 64;
const CONCURRENCY = 64;
// Short rounds alternating on and off, medians kept: on a shared machine the load drifts, and
// alternating exposes both settings to the same drift.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const WARMUP_MS = 500;
const BATCHING_ON = 64;

type ModelName = (typeof MODELS)[number];

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

async function referenceInputs(): Promise<Record<ModelName, { inputs: number[][] }>> {
  return JSON.parse(await readFile(join(ROOT, 'models', 'reference.json'), 'utf8'));
}

/** Rows cycled from the reference inputs, row-major. */
function rowsOf(inputs: number[][], count: number): number[][] {
  return Array.from({ length: count }, (_, i) => inputs[i % inputs.length] as number[]);
}

/** µs per row of one `session.run` of `rows` rows, after a warm-up. */
async function costPerRow(name: ModelName, inputs: number[][], rows: number): Promise<number> {
  const model = await loadModel(join(ROOT, 'models', name), { intraOpNumThreads: 1 });
  const flat = new Float32Array(rowsOf(inputs, rows).flat());
  for (let i = 0; i < 20; i++) await model.run(flat, rows);
  let runs = 0;
  const started = process.hrtime.bigint();
  const budget = BigInt(Math.round(1.5e9));
  let elapsed = 0n;
  while (runs < 20 || elapsed < budget) {
    await model.run(flat, rows);
    runs++;
    elapsed = process.hrtime.bigint() - started;
  }
  return round(Number(elapsed) / 1000 / (runs * rows), 3);
}

interface Worker {
  child: ChildProcess;
  port: number;
  queue: string;
  cleanup: () => Promise<void>;
}

/** The real worker process on a copy of the model under a unique name, so its queue is private. */
async function startWorker(name: ModelName, batchMaxMessages: number): Promise<Worker> {
  const dir = await mkdtemp(join(tmpdir(), 'mlapi-bench-'));
  const manifest = JSON.parse(await readFile(join(ROOT, 'models', name, 'model.json'), 'utf8'));
  const unique = `bench-${name}-${randomBytes(4).toString('hex')}`;
  await writeFile(join(dir, 'model.json'), JSON.stringify({ ...manifest, name: unique }));
  await symlink(join(ROOT, 'models', name, 'model.onnx'), join(dir, 'model.onnx'));
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      MODEL_DIR: dir,
      AMQP_URL,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      PREFETCH: '128',
      BATCH_MAX_MESSAGES: String(batchMaxMessages),
      BATCH_WINDOW_MS: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    let healthPort = 0;
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString();
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as { msg?: string; address?: { port?: number } };
          if (entry.msg === 'health port open') healthPort = entry.address?.port ?? 0;
          if (entry.msg === 'consuming') {
            child.stdout?.off('data', onData);
            child.stdout?.resume();
            resolve(healthPort);
          }
        } catch {
          // not a log line
        }
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before consuming`)));
  });
  const queue = `mlapi.${unique}`;
  const cleanup = async (): Promise<void> => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    const conn = await connect(AMQP_URL);
    const ch = await conn.createChannel();
    await ch.deleteQueue(queue);
    await conn.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { child, port, queue, cleanup };
}

/** Mean of a histogram from the worker's /metrics. */
async function histogramMean(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const read = (suffix: string): number =>
    Number(
      new RegExp(`^${name}_${suffix}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN,
    );
  return read('sum') / read('count');
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The worker's own CPU time so far, from its /metrics (prom-client's process metrics). */
async function workerCpuSeconds(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^process_cpu_seconds_total (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
}

interface Round {
  rowsPerSecond: number;
  /** Worker CPU per row answered: what batching saves, whatever else runs on the machine. */
  workerCpuUsPerRow: number;
}

/** 64 callers, each sending 1-row requests back to back to one worker for SECONDS. */
async function drive(client: RpcClient, worker: Worker, inputs: number[][]): Promise<Round> {
  let rows = 0;
  let errors = 0;
  let stop = false;
  const caller = async (i: number): Promise<void> => {
    const body = { inputs: [inputs[i % inputs.length] as number[]] };
    while (!stop) {
      try {
        await client.call(worker.queue, body, { type: 'predict', timeoutMs: 30_000 });
        rows++;
      } catch {
        errors++;
      }
    }
  };
  const callers = Array.from({ length: CONCURRENCY }, (_, i) => caller(i));
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  const startRows = rows;
  const startCpu = await workerCpuSeconds(worker.port);
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  const measured = rows - startRows;
  const elapsed = (performance.now() - started) / 1000;
  const cpu = (await workerCpuSeconds(worker.port)) - startCpu;
  stop = true;
  await Promise.all(callers);
  if (errors > 0) throw new Error(`${errors} calls to ${worker.queue} failed`);
  return { rowsPerSecond: measured / elapsed, workerCpuUsPerRow: (cpu * 1e6) / measured };
}

/** Batching on against batching off for one model, each on its own worker process. */
async function compare(name: ModelName, inputs: number[][]) {
  const on = await startWorker(name, BATCHING_ON);
  const off = await startWorker(name, 1);
  const client = new RpcClient({ url: AMQP_URL, logger: null, connectionName: `bench ${name}` });
  await client.connect();
  try {
    const rounds = { on: [] as Round[], off: [] as Round[] };
    for (let r = 1; r <= ROUNDS; r++) {
      const a = await drive(client, on, inputs);
      const b = await drive(client, off, inputs);
      rounds.on.push(a);
      rounds.off.push(b);
      say(
        `  ${name} round ${r}/${ROUNDS}: batching on ${Math.round(a.rowsPerSecond)} rows/s ` +
          `(${round(a.workerCpuUsPerRow, 1)} µs worker CPU/row), off ${Math.round(b.rowsPerSecond)} ` +
          `rows/s (${round(b.workerCpuUsPerRow, 1)} µs/row)`,
      );
    }
    const result = (worker: Worker, samples: Round[]) =>
      histogramMean(worker.port, 'model_batch_messages').then((meanBatch) => ({
        rowsPerSecond: Math.round(median(samples.map((x) => x.rowsPerSecond))),
        workerCpuUsPerRow: round(median(samples.map((x) => x.workerCpuUsPerRow)), 1),
        rounds: samples.map((x) => Math.round(x.rowsPerSecond)),
        meanRequestsPerBatch: round(meanBatch),
      }));
    const batched = await result(on, rounds.on);
    const unbatched = await result(off, rounds.off);
    const ratio = round(batched.rowsPerSecond / unbatched.rowsPerSecond);
    const cpuRatio = round(unbatched.workerCpuUsPerRow / batched.workerCpuUsPerRow);
    say(
      `  ${name}: ${batched.rowsPerSecond} rows/s batched (mean ${batched.meanRequestsPerBatch} ` +
        `requests per batch) vs ${unbatched.rowsPerSecond} unbatched = ${ratio}x; ` +
        `worker CPU per row ${cpuRatio}x lower batched`,
    );
    return { batched, unbatched, ratio, workerCpuPerRowRatio: cpuRatio };
  } finally {
    await client.close();
    await on.cleanup();
    await off.cleanup();
  }
}

async function main(): Promise<void> {
  const reference = await referenceInputs();
  say('in-process cost per row (session.run, 1 intra-op thread, after a warm-up)');
  const perRow: Record<string, { usPerRow: number; usPerRowAlone: number }> = {};
  for (const name of MODELS) {
    const usPerRow = await costPerRow(name, reference[name].inputs, BATCH_ROWS);
    // The same model one row per run: the gap is what dynamic batching can win back.
    const usPerRowAlone = await costPerRow(name, reference[name].inputs, 1);
    perRow[name] = { usPerRow, usPerRowAlone };
    say(`  ${name}: ${usPerRow} µs/row at ${BATCH_ROWS} rows per run (${usPerRowAlone} µs at 1)`);
  }
  const step = (a: ModelName, b: ModelName): number =>
    round((perRow[b]?.usPerRow ?? 0) / (perRow[a]?.usPerRow ?? 1), 1);
  const steps = {
    'intermediate/fast': step('fast', 'intermediate'),
    'slow/intermediate': step('intermediate', 'slow'),
  };
  say(
    `  steps at ${BATCH_ROWS} rows: intermediate/fast ${steps['intermediate/fast']}x, ` +
      `slow/intermediate ${steps['slow/intermediate']}x`,
  );

  say(
    `\nrows/s through RabbitMQ: ${CONCURRENCY} callers of 1-row requests, ${ROUNDS} alternating rounds of ${SECONDS} s (median)`,
  );
  const broker: Record<string, unknown> = {};
  for (const name of MODELS) broker[name] = await compare(name, reference[name].inputs);

  const results = {
    generatedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
    inProcess: { batchRows: BATCH_ROWS, intraOpThreads: 1, models: perRow, steps },
    broker: {
      concurrency: CONCURRENCY,
      rowsPerRequest: 1,
      rounds: ROUNDS,
      secondsPerRound: SECONDS,
      statistic: 'median of rounds',
      batchMaxMessages: { on: BATCHING_ON, off: 1 },
      models: broker,
    },
  };
  const dir = join(ROOT, 'bench-results', ...(process.argv.includes('--save') ? [] : ['local']));
  await mkdir(dir, { recursive: true });
  const out = join(dir, 'models.json');
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  say(`\nwrote ${out}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
