import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODEL_NAMES } from '../k6/lib/payloads.js';
import { BenchError } from './errors.js';
import { getJson, waitFor } from './http-probe.js';

export interface LocalStackOptions {
  /** The repository root. */
  root: string;
  port: number;
  /** Worker i's health port is workerBasePort + i (1-based, in start order). */
  workerBasePort: number;
  redisUrl: string | null;
  /** The gateway's LOG_LEVEL. */
  gatewayLogLevel: string;
  /** Write a .cpuprofile per process here (`node --cpu-prof`); null: no profiling. */
  cpuProfDir: string | null;
  /** Each process's stdout and stderr go to <logDir>/<name>.log. */
  logDir: string;
  readyTimeoutMs: number;
  stopTimeoutMs: number;
}

interface Member {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  healthUrl: string;
}

/**
 * The gateway and its workers as child processes, started by the harness itself rather than by
 * `pnpm start` so it controls how many workers each model gets (the slow 1-vs-2 comparison).
 * Logs go straight to files: the harness does no per-line work while the load runs.
 */
export class LocalStack {
  readonly url: string;
  readonly #options: LocalStackOptions;
  readonly #members: Member[] = [];
  #nextWorkerPort: number;
  #gatewayStarts = 0;
  #jobStoreDir: string | null = null;

  constructor(options: LocalStackOptions) {
    this.#options = options;
    this.url = `http://127.0.0.1:${options.port}`;
    this.#nextWorkerPort = options.workerBasePort + 1;
  }

  /** Starts one worker per model and the gateway; resolves when the gateway serves every model. */
  async start(): Promise<void> {
    mkdirSync(this.#options.logDir, { recursive: true });
    if (this.#options.cpuProfDir !== null) mkdirSync(this.#options.cpuProfDir, { recursive: true });
    await Promise.all(MODEL_NAMES.map((model) => this.addWorker(model)));
    // The jobs cells' million-row jobs (over 100 MB of results on disk each) are kept only for
    // the run: in a folder of its own, removed on stop, never the developer's .mlapi/jobs; and
    // with --redis, expired after 15 minutes rather than a day in a shared Redis. The other job
    // defaults (JOB_MAX_ROWS 1,000,000, an NDJSON upload limit of 128 B a row) take such a job.
    this.#jobStoreDir = mkdtempSync(join(tmpdir(), 'mlapi-bench-jobs-'));
    await this.#startGateway({}, true);
  }

  /**
   * Stops the gateway and starts it again with `env` over its usual environment (another
   * configuration: API keys on, a Redis store); the workers keep running. Resolves when the new
   * gateway is ready and, unless `waitModels` is false, serves every model again (a gateway
   * with API keys serves its model routes only to a key, which the caller makes once it is up).
   */
  async restartGateway(env: Readonly<Record<string, string>>, waitModels = true): Promise<void> {
    const index = this.#members.findIndex((m) => m.name === 'gateway');
    const old = index === -1 ? undefined : this.#members.splice(index, 1)[0];
    if (old !== undefined) await this.#stopMember(old);
    await this.#startGateway(env, waitModels);
  }

  async #startGateway(extra: Readonly<Record<string, string>>, waitModels: boolean): Promise<void> {
    const start = this.#gatewayStarts++;
    const restarted = start > 0;
    const env: Record<string, string> = {
      PORT: String(this.#options.port),
      HOST: '127.0.0.1',
      LOG_LEVEL: this.#options.gatewayLogLevel,
      RATE_LIMIT_MAX: '0',
      JOB_RESULT_TTL_SECONDS: '900',
    };
    if (this.#jobStoreDir !== null) env.JOB_STORE_DIR = this.#jobStoreDir;
    if (this.#options.redisUrl !== null) env.REDIS_URL = this.#options.redisUrl;
    const gateway = this.#spawn(
      'gateway',
      'packages/api/dist/main.js',
      { ...env, ...extra },
      `${this.url}/health/ready`,
      // A restarted gateway's log follows its predecessor's, so none is lost; its profile is
      // its own (gateway-1.cpuprofile, ...), each configuration's.
      restarted,
      restarted ? `gateway-${start}` : 'gateway',
    );
    await this.#ready(gateway);
    if (!waitModels) return;
    // The gateway learns workers from presence; ready means it has heard from all of them.
    for (const model of MODEL_NAMES) {
      await this.#waitHealthy(gateway, `${this.url}/v2/models/${model}/ready`);
    }
  }

  /**
   * Starts one more worker, of `models/<model>` or of `modelDir` (another version) under the
   * role `model`; resolves when it is consuming.
   */
  async addWorker(model: string, modelDir?: string): Promise<void> {
    const port = this.#nextWorkerPort++;
    const member = this.#spawn(
      `worker-${model}-${port}`,
      'packages/worker/dist/main.js',
      {
        MODEL_DIR: modelDir ?? join(this.#options.root, 'models', model),
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      },
      `http://127.0.0.1:${port}/health/ready`,
    );
    await this.#ready(member);
  }

  /** Process ids by role: gateway, worker-fast, ... (a model's workers share one entry). */
  pids(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const m of this.#members) {
      const pid = m.child.pid;
      if (pid === undefined) continue;
      const role = m.name.replace(/-\d+$/, '');
      out[role] = [...(out[role] ?? []), pid];
    }
    return out;
  }

  /** SIGTERM to everything (workers drain, profiles are written on exit), SIGKILL after a grace. */
  async stop(): Promise<void> {
    const members = this.#members.splice(0).reverse();
    await Promise.all(members.map((m) => this.#stopMember(m)));
    if (this.#jobStoreDir !== null) rmSync(this.#jobStoreDir, { recursive: true, force: true });
    this.#jobStoreDir = null;
  }

  async #stopMember(member: Member): Promise<void> {
    if (member.child.exitCode !== null || member.child.signalCode !== null) return;
    member.child.kill('SIGTERM');
    const timer = setTimeout(() => member.child.kill('SIGKILL'), this.#options.stopTimeoutMs);
    await member.exited;
    clearTimeout(timer);
  }

  #spawn(
    name: string,
    script: string,
    env: Record<string, string>,
    healthUrl: string,
    appendLog = false,
    profileName = name,
  ): Member {
    const o = this.#options;
    const args: string[] = [];
    if (o.cpuProfDir !== null) {
      args.push(
        '--cpu-prof',
        '--cpu-prof-dir',
        o.cpuProfDir,
        '--cpu-prof-name',
        `${profileName}.cpuprofile`,
      );
    }
    args.push(join(o.root, script));
    const log = openSync(join(o.logDir, `${name}.log`), appendLog ? 'a' : 'w');
    const child = spawn(process.execPath, args, {
      cwd: o.root,
      env: { ...process.env, ...env },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.once('error', () => resolve(null));
    });
    const member = { name, child, exited, healthUrl };
    this.#members.push(member);
    return member;
  }

  #ready(member: Member): Promise<void> {
    return this.#waitHealthy(member, member.healthUrl);
  }

  async #waitHealthy(member: Member, url: string): Promise<void> {
    const died = member.exited.then((code) => {
      throw new BenchError(
        'BENCH_STACK_START',
        `${member.name} exited (${code}) before it was ready; see ${join(this.#options.logDir, `${member.name}.log`)}`,
      );
    });
    const healthy = waitFor(
      async () => (await getJson(url)).status === 200,
      this.#options.readyTimeoutMs,
    ).then((ok) => {
      if (!ok) {
        throw new BenchError('BENCH_STACK_START', `${member.name}: ${url} not ready in time`);
      }
    });
    // Whichever settles first; the loser is silenced so it never surfaces as unhandled.
    died.catch(() => {});
    healthy.catch(() => {});
    await Promise.race([died, healthy]);
  }
}
