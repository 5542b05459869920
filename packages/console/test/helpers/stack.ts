import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../../../../scripts/free-port.mjs';

export { freePort };

/**
 * The real stack for the browser tests and `pnpm screenshots`: the built gateway
 * (packages/api/dist/main.js, which serves the built console) and real ONNX workers, as child
 * processes on free ports, on a RabbitMQ vhost of their own. The private vhost lets the models
 * keep their real names (fast, intermediate, slow: what the docs' examples name) without
 * meeting any other test's or helper's workers on the shared broker.
 */

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const API_MAIN = join(ROOT, 'packages', 'api', 'dist', 'main.js');
export const WORKER_MAIN = join(ROOT, 'packages', 'worker', 'dist', 'main.js');
export const MODELS = ['fast', 'intermediate', 'slow'] as const;
const BROKER = 'amqp://guest:guest@127.0.0.1:5672';

const run = promisify(execFile);

export function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Cleanups run in reverse order of registration. */
export class Cleanup {
  readonly #steps: (() => Promise<void>)[] = [];
  add(step: () => Promise<void>): void {
    this.#steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.#steps.reverse()) await step().catch(() => {});
    this.#steps.length = 0;
  }
}

/** A vhost of our own, deleted at cleanup (only this one: we created it). */
export async function privateVhost(cleanup: Cleanup): Promise<string> {
  const vhost = unique('mlapi-console-test');
  await run('rabbitmqctl', ['add_vhost', vhost]);
  cleanup.add(async () => {
    await run('rabbitmqctl', ['delete_vhost', vhost]);
  });
  await run('rabbitmqctl', ['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
  return `${BROKER}/${encodeURIComponent(vhost)}`;
}

export interface Proc {
  child: ChildProcess;
  output(): string;
}

function spawnNode(cleanup: Cleanup, script: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = once(child, 'exit');
  cleanup.add(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  });
  return { child, output: () => output };
}

/** A real worker for models/<model>, or for a copy of it announcing another version. */
export async function startWorker(
  cleanup: Cleanup,
  amqpUrl: string,
  model: string,
  version?: string,
): Promise<Proc> {
  let dir = join(ROOT, 'models', model);
  if (version !== undefined) {
    const copy = await mkdtemp(join(tmpdir(), 'mlapi-console-model-'));
    const manifest = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    await writeFile(join(copy, 'model.json'), JSON.stringify({ ...manifest, version }));
    await symlink(join(dir, 'model.onnx'), join(copy, 'model.onnx'));
    cleanup.add(() => rm(copy, { recursive: true, force: true }));
    dir = copy;
  }
  return spawnNode(cleanup, WORKER_MAIN, {
    MODEL_DIR: dir,
    AMQP_URL: amqpUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  });
}

export interface Gateway {
  url: string;
  proc: Proc;
}

/** The built gateway on a free port; resolves once it is ready and every model is live. */
export async function startGateway(
  cleanup: Cleanup,
  amqpUrl: string,
  env: Record<string, string> = {},
  models: readonly string[] = MODELS,
): Promise<Gateway> {
  const port = await freePort();
  // The embedded job and key stores default to the working directory: a temp folder instead,
  // so a test run leaves nothing in the checkout.
  const stores = await mkdtemp(join(tmpdir(), 'mlapi-console-stores-'));
  cleanup.add(() => rm(stores, { recursive: true, force: true }));
  const proc = spawnNode(cleanup, API_MAIN, {
    AMQP_URL: amqpUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    JOB_STORE_DIR: join(stores, 'jobs'),
    STATE_DIR: join(stores, 'state'),
    LOG_LEVEL: 'warn',
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  const headers: Record<string, string> =
    env.ADMIN_API_KEY !== undefined ? { authorization: `Bearer ${env.ADMIN_API_KEY}` } : {};
  await waitFor(`the gateway and ${models.join(', ')}`, 60_000, async () => {
    if (proc.child.exitCode !== null) {
      throw new Error(`the gateway exited (${proc.child.exitCode}): ${proc.output()}`);
    }
    // An admin-only key may not call model routes (403): a keyed gateway is waited on by its
    // readiness, which needs the broker and presence.
    if (env.ADMIN_API_KEY !== undefined) {
      const res = await fetch(`${url}/health/ready`).catch(() => null);
      return res?.status === 200;
    }
    for (const m of models) {
      const res = await fetch(`${url}/v2/models/${m}/ready`, { headers }).catch(() => null);
      if (res?.status !== 200) return false;
    }
    return true;
  });
  return { url, proc };
}

/** The gateway and one worker per model, on a vhost of their own. */
export async function startStack(cleanup: Cleanup, env: Record<string, string> = {}) {
  const amqpUrl = await privateVhost(cleanup);
  for (const m of MODELS) await startWorker(cleanup, amqpUrl, m);
  const gateway = await startGateway(cleanup, amqpUrl, env);
  return { amqpUrl, gateway };
}

export async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Which of the console's route families the gateway under test serves (its OpenAPI paths). */
export async function servedRoutes(url: string): Promise<Set<string>> {
  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const out = new Set<string>();
  for (const [p, ops] of Object.entries(doc.paths)) {
    for (const method of Object.keys(ops)) out.add(`${method.toUpperCase()} ${p}`);
  }
  return out;
}
