import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { createRedisClient, type RedisClient } from '../../src/redis-client.js';
import { waitFor } from './stack.js';

/**
 * A redis-server this test owns: its own port (38000-38099, given to this work), its own data
 * directory in a temp folder (removed at teardown), any settings as `--name value` pairs. It can
 * be stopped and started again on the same directory, which is how a restart is tested.
 */
export class RedisProcess {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly #settings: readonly string[];
  #child: ChildProcess | null = null;
  #output = '';

  private constructor(port: number, dir: string, settings: readonly string[]) {
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
    this.dir = dir;
    this.#settings = settings;
  }

  /** Starts one; stopped and its directory removed at `t`'s teardown. */
  static async start(t: Test, port: number, settings: readonly string[]): Promise<RedisProcess> {
    const dir = await mkdtemp(join(tmpdir(), 'mlapi-state-redis-'));
    const redis = new RedisProcess(port, dir, settings);
    t.teardown(async () => {
      await redis.stop('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    });
    await redis.start();
    return redis;
  }

  /** Starts the server on its directory and resolves once it answers PING. */
  async start(): Promise<void> {
    if (this.#child !== null) throw new Error(`redis on ${this.port} is already running`);
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      ...this.#settings,
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#output = '';
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-10_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.#child = child;
    // One client retrying in the background: connect() only settles once the server answers.
    const client = this.client();
    client.connect().catch(() => {});
    try {
      await waitFor(`redis-server on ${this.port}`, () => {
        if (child.exitCode !== null) {
          throw new Error(`redis-server on ${this.port} exited: ${this.#output}`);
        }
        return client.isReady;
      });
    } finally {
      client.destroy();
    }
  }

  /**
   * Stops the server. SIGTERM is Redis's graceful SHUTDOWN (the append-only file is flushed and
   * fsynced); SIGKILL is a crash.
   */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    this.#child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    // A frozen server takes no signal but SIGKILL until it runs again.
    child.kill('SIGCONT');
    child.kill(signal);
    await exited;
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the server: a Redis that holds its connections open but answers nothing. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    if (this.#child === null) throw new Error(`redis on ${this.port} is not running`);
    this.#child.kill(signal);
  }

  /** A client of the test's own (not connected); the caller closes it. */
  client(): RedisClient {
    return createRedisClient(this.url, () => {}, 2000);
  }

  /** `INFO <section>` as a map of fields. */
  async info(section: string): Promise<Record<string, string>> {
    const client = this.client();
    await client.connect();
    try {
      const text = String(await client.info(section));
      const fields: Record<string, string> = {};
      for (const line of text.split(/\r?\n/)) {
        const at = line.indexOf(':');
        if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1);
      }
      return fields;
    } finally {
      await client.close();
    }
  }
}
