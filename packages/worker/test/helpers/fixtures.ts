import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { modelQueue } from '@mlapi/contracts';
import { RpcClient } from '@mlapi/rpc';
import { connect } from 'amqplib';
import type { Test } from 'tap';
import {
  loadModel,
  ModelWorker,
  type ModelWorkerOptions,
  type OnnxModel,
  WorkerMetrics,
} from '../../src/index.js';

export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
export const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const ROOT = join(PACKAGE_DIR, '..', '..');
export const MAIN = join(PACKAGE_DIR, 'dist', 'main.js');
export const MODEL_NAMES = ['fast', 'intermediate', 'slow'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface ReferenceEntry {
  version: string;
  inputs: number[][];
  predictions: number[];
  probabilities: number[][];
  labels?: string[];
}

export function modelDir(name: ModelName): string {
  return join(ROOT, 'models', name);
}

export async function reference(): Promise<Record<ModelName, ReferenceEntry>> {
  return JSON.parse(await readFile(join(ROOT, 'models', 'reference.json'), 'utf8'));
}

/** A queue or model name no other test (or teammate) uses. */
export function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export async function deleteQueue(queue: string): Promise<void> {
  const conn = await connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    await ch.deleteQueue(queue);
    await ch.close();
  } finally {
    await conn.close();
  }
}

export interface TestWorker {
  worker: ModelWorker;
  model: OnnxModel;
  metrics: WorkerMetrics;
  queue: string;
}

/** An in-process worker on a unique queue, not started; stopped and its queue deleted at teardown. */
export async function createWorker(
  t: Test,
  name: ModelName,
  options: Partial<ModelWorkerOptions> = {},
): Promise<TestWorker> {
  const model = await loadModel(modelDir(name));
  const metrics = new WorkerMetrics(model.spec, { defaultMetrics: false });
  const queue = options.queue ?? unique(`mlapi.test-${name}`);
  const worker = new ModelWorker({
    url: AMQP_URL,
    logger: null,
    metrics,
    ...options,
    model,
    queue,
  });
  t.teardown(async () => {
    await worker.stop();
    await deleteQueue(queue);
  });
  return { worker, model, metrics, queue };
}

export async function startWorker(
  t: Test,
  name: ModelName,
  options: Partial<ModelWorkerOptions> = {},
): Promise<TestWorker> {
  const created = await createWorker(t, name, options);
  await created.worker.start();
  return created;
}

export async function startClient(t: Test): Promise<RpcClient> {
  const client = new RpcClient({
    url: AMQP_URL,
    logger: null,
    connectionName: unique('test-client'),
  });
  t.teardown(() => client.close());
  await client.connect();
  return client;
}

interface Sample {
  metricName?: string;
  labels: Record<string, string | number | undefined>;
  value: number;
}

/** Every sample of one metric (for a histogram: its _bucket, _sum and _count series). */
export async function samples(metrics: WorkerMetrics, name: string): Promise<Sample[]> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  return (await metric.get()).values as Sample[];
}

/** A counter's value, or a histogram's observation count, summed over labels. */
export async function metricTotal(metrics: WorkerMetrics, name: string): Promise<number> {
  const values = await samples(metrics, name);
  const isHistogram = values.some((v) => v.metricName === `${name}_count`);
  return values
    .filter((v) => !isHistogram || v.metricName === `${name}_count`)
    .reduce((sum, v) => sum + v.value, 0);
}

/**
 * A copy of a model directory under a unique model name (so its queue is
 * `mlapi.<unique>.<version>`):
 * `dist/main.js` derives the queue from the manifest, and tests must not share queues.
 */
export async function uniqueModelDir(
  t: Test,
  name: ModelName,
): Promise<{ dir: string; queue: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'mlapi-worker-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // A copy does not claim the shipped model's aliases (fast-iris-model, ...): a gateway on the
  // same broker would otherwise see two models claim them.
  const { aliases: _aliases, ...manifest } = JSON.parse(
    await readFile(join(modelDir(name), 'model.json'), 'utf8'),
  );
  const uniqueName = unique(`t-${name}`).toLowerCase();
  await writeFile(join(dir, 'model.json'), JSON.stringify({ ...manifest, name: uniqueName }));
  await symlink(join(modelDir(name), 'model.onnx'), join(dir, 'model.onnx'));
  return { dir, queue: modelQueue(uniqueName, manifest.version) };
}

export interface SpawnedWorker {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the health port once the worker logs that it is consuming. */
  consuming: Promise<number>;
}

/** Runs the real `dist/main.js`; killed at teardown if still alive. */
export function spawnWorker(t: Test, env: Record<string, string>): SpawnedWorker {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const consuming = new Promise<number>((resolve, reject) => {
    let out = '';
    let port = 0;
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      let nl = out.indexOf('\n');
      while (nl >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        nl = out.indexOf('\n');
        let entry: { msg?: string; address?: { port?: number } };
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        if (entry.msg === 'health port open') port = entry.address?.port ?? 0;
        if (entry.msg === 'consuming') resolve(port);
      }
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`worker exited (${code ?? signal}) before consuming: ${err}`)),
    );
  });
  // A test that never awaits `consuming` must not see an unhandled rejection.
  consuming.catch(() => {});
  return { child, stderr: () => err, exited, consuming };
}

export async function httpStatus(port: number, path: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  await res.arrayBuffer();
  return res.status;
}

export interface RawMessage {
  body: unknown;
  /** Sent as is when a Buffer (to send what is not JSON); default JSON of `body`. */
  content?: Buffer;
  contentType?: string;
  type?: string;
  /** `x-deadline`, epoch ms. Default 10 s from now. */
  deadline?: number;
}

/**
 * Publishes hand-made requests with amqplib, bypassing RpcClient, for what a well-behaved
 * client never sends (bodies that are not JSON, deadlines already past without a broker TTL).
 * `send` resolves with the parsed reply envelope.
 */
export async function rawPublisher(
  t: Test,
): Promise<{ send: (queue: string, message: RawMessage) => Promise<unknown> }> {
  const conn = await connect(AMQP_URL);
  t.teardown(() => conn.close());
  const ch = await conn.createChannel();
  const replies = new Map<string, (body: unknown) => void>();
  // Direct reply-to: the consumer must exist, with noAck, on the channel that publishes.
  await ch.consume(
    'amq.rabbitmq.reply-to',
    (msg) => {
      if (msg === null) return;
      const id = String(msg.properties.correlationId);
      replies.get(id)?.(JSON.parse(msg.content.toString()));
      replies.delete(id);
    },
    { noAck: true },
  );
  const send = (queue: string, message: RawMessage): Promise<unknown> => {
    const correlationId = randomBytes(8).toString('hex');
    const reply = new Promise<unknown>((resolve) => replies.set(correlationId, resolve));
    ch.publish('', queue, message.content ?? Buffer.from(JSON.stringify(message.body)), {
      correlationId,
      replyTo: 'amq.rabbitmq.reply-to',
      contentType: message.contentType ?? 'application/json',
      messageId: correlationId,
      type: message.type ?? 'predict',
      timestamp: Date.now(),
      headers: { 'x-mlapi-envelope': 1, 'x-deadline': message.deadline ?? Date.now() + 10_000 },
    });
    return reply;
  };
  return { send };
}

/** Messages a spawned worker holds unacked, read from its own /metrics. */
export async function heldMessages(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^rpc_server_in_flight (\d+)$/m.exec(text)?.[1] ?? Number.NaN);
}

/** Polls `check` every 50 ms until it holds; fails after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
