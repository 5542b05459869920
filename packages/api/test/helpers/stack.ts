import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { modelQueue } from '@mlapi/contracts';
import { connect } from 'amqplib';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Test } from 'tap';

import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import { createDeps, type OwnedDeps } from '../../src/deps.js';
import { createLogger } from '../../src/logger.js';

export { freePort } from '../../../../scripts/free-port.mjs';

export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
export const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const ROOT = join(PACKAGE_DIR, '..', '..');
export const API_MAIN = join(PACKAGE_DIR, 'dist', 'main.js');
export const WORKER_MAIN = join(ROOT, 'packages', 'worker', 'dist', 'main.js');
export const MODEL_NAMES = ['fast', 'intermediate', 'slow'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface ReferenceEntry {
  version: string;
  inputs: number[][];
  predictions: number[];
  probabilities: number[][];
}

export async function reference(): Promise<Record<ModelName, ReferenceEntry>> {
  return JSON.parse(await readFile(join(ROOT, 'models', 'reference.json'), 'utf8'));
}

/** A name no other test (or a running `pnpm start`) uses. */
export function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * A copy of a model under a unique name, so its worker consumes `mlapi.<unique>.<version>` and no other
 * test's worker (nor a local stack) answers for it.
 */
export async function uniqueModel(
  t: Test,
  model: ModelName,
): Promise<{ name: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'mlapi-api-test-'));
  const source = join(ROOT, 'models', model);
  const manifest = JSON.parse(await readFile(join(source, 'model.json'), 'utf8'));
  const name = unique(`t-${model}`);
  // A copy does not claim the shipped model's aliases (fast-iris-model, ...): those belong to
  // the real model, and two claimers would be refused.
  const { aliases: _aliases, ...own } = manifest;
  await writeFile(join(dir, 'model.json'), JSON.stringify({ ...own, name }));
  await symlink(join(source, 'model.onnx'), join(dir, 'model.onnx'));
  t.teardown(async () => {
    await rm(dir, { recursive: true, force: true });
    await deleteQueue(modelQueue(name, manifest.version));
  });
  return { name, dir };
}

async function deleteQueue(queue: string): Promise<void> {
  const conn = await connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    await ch.deleteQueue(queue);
    await ch.close();
  } finally {
    await conn.close();
  }
}

export interface Child {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

/** Spawns a Node script; killed at teardown if still alive. Each stdout line goes to `onLine`. */
export function spawnNode(
  t: Test,
  script: string,
  env: Record<string, string>,
  onLine: (line: string) => void = () => {},
): Child {
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? '', AMQP_URL, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    let nl = partial.indexOf('\n');
    while (nl >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      nl = partial.indexOf('\n');
      output = `${output}${line}\n`.slice(-20_000);
      onLine(line);
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
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
  return { child, exited, output: () => output };
}

/** The real worker (`packages/worker/dist/main.js`) for a model directory. */
export function spawnWorker(t: Test, dir: string, env: Record<string, string> = {}): Child {
  return spawnNode(t, WORKER_MAIN, {
    MODEL_DIR: dir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...env,
  });
}

export interface Gateway {
  app: FastifyInstance;
  owned: OwnedDeps;
  config: Config;
  connectionName: string;
}

/**
 * An in-process gateway on the real broker with a unique connection name; `inject()` or
 * `listen()` it. Closed at teardown.
 */
export async function startGateway(t: Test, env: Record<string, string> = {}): Promise<Gateway> {
  // The memory guard is off unless a test asks for it: an in-process gateway shares its resident
  // set with tap, the oracle's ONNX sessions and every other gateway of the file, so the guard
  // would be measuring the test, not the gateway.
  // The embedded stores' folders default to the working directory: each gateway gets its own
  // temp folder instead, so a test run leaves nothing in the checkout.
  const dir = await mkdtemp(join(tmpdir(), 'mlapi-api-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    PRESSURE_MAX_RSS_MB: '0',
    JOB_STORE_DIR: join(dir, 'jobs'),
    STATE_DIR: join(dir, 'state'),
    ...env,
  });
  const connectionName = unique('mlapi-api-test');
  const owned = createDeps(config, createLogger(config), connectionName);
  const app = await buildApp(config, owned.deps);
  t.teardown(async () => {
    await app.close();
    await owned.close();
  });
  await owned.start();
  await app.ready();
  return { app, owned, config, connectionName };
}

/** Polls `check` until it holds; the test fails with `what` if it never does. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Resolves when the gateway's registry sees `count` live workers for the model. */
export function waitLive(gateway: Gateway, model: string, count = 1): Promise<void> {
  return waitFor(
    `${count} live worker(s) of ${model}`,
    () => gateway.owned.deps.registry.liveWorkers(model) >= count,
  );
}

/**
 * An independent oracle: the model's ONNX graph run directly with onnxruntime, predictions
 * as the argmax of `probabilities` (first maximum wins), as docs/architecture.md specifies.
 */
export async function oracle(model: ModelName) {
  const session = await InferenceSession.create(join(ROOT, 'models', model, 'model.onnx'), {
    intraOpNumThreads: 1,
  });
  const inputName = session.inputNames[0] as string;
  return {
    async run(rows: number[][]): Promise<{ predictions: number[]; probabilities: number[][] }> {
      const width = rows[0]?.length ?? 0;
      const tensor = new Tensor('float32', Float32Array.from(rows.flat()), [rows.length, width]);
      const out = await session.run({ [inputName]: tensor });
      const probs = out.probabilities as Tensor;
      const data = probs.data as Float32Array;
      const classes = (probs.dims[1] as number) ?? 3;
      const probabilities: number[][] = [];
      const predictions: number[] = [];
      for (let r = 0; r < rows.length; r++) {
        const row = Array.from(data.subarray(r * classes, (r + 1) * classes));
        probabilities.push(row);
        let best = 0;
        for (let c = 1; c < classes; c++) if ((row[c] as number) > (row[best] as number)) best = c;
        predictions.push(best);
      }
      return { predictions, probabilities };
    },
    release: () => session.release(),
  };
}

export function rabbitmqctl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('rabbitmqctl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`rabbitmqctl ${args[0]} exited ${code}`)),
    );
  });
}

/**
 * Closes, broker side, only the connections whose connection_name starts with `prefix` (this
 * test's own), never anyone else's. Returns how many were closed.
 */
export async function closeConnections(prefix: string): Promise<number> {
  // The JSON formatter prints pids close_connection cannot parse; the plain one does not.
  const out = await rabbitmqctl([
    'list_connections',
    'pid',
    'client_properties',
    '-q',
    '--no-table-headers',
  ]);
  let closed = 0;
  for (const line of out.split('\n')) {
    const pid = /^(<[^>]+>)\t/.exec(line)?.[1];
    const name = /\{"connection_name","([^"]*)"\}/.exec(line)?.[1];
    if (pid !== undefined && name?.startsWith(prefix)) {
      await rabbitmqctl(['close_connection', pid, 'test: simulated connection loss']);
      closed++;
    }
  }
  return closed;
}

/** POSTs one row to `model` through the in-process gateway; the same `x`, the same cache key. */
export function rowPredict(
  gateway: Gateway,
  model: string,
): (x: number) => Promise<LightMyRequestResponse> {
  return (x: number) =>
    gateway.app.inject({
      method: 'POST',
      url: '/predict',
      payload: { model_name: model, input_data: [[5, 3, 1.5, x]] },
    });
}

/** Resolves once a repeated row is answered from the cache: the cache is connected (again). */
export function waitCached(
  what: string,
  predict: (x: number) => Promise<{ json(): { cached?: unknown } }>,
  x: number,
): Promise<void> {
  return waitFor(what, async () => {
    await predict(x);
    return (await predict(x)).json().cached === true;
  });
}
