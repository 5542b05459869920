import type { TlsMaterial } from '@mlapi/rpc';
import type { Logger } from 'pino';
import { closeRedis, createRedisClient, type RedisClient } from '../redis-client.js';

/**
 * State writes (a policy, a key, a job) are rare and must land: a longer command timeout than
 * the cache's 250 ms, which trades a slow answer for a served one.
 */
const STATE_COMMAND_TIMEOUT_MS = 1000;
/** How long start() waits for a state Redis that must be checked before the gateway serves. */
const DEFAULT_START_TIMEOUT_MS = 10_000;

/** The only `maxmemory-policy` under which Redis never drops a key to make room. */
export const DURABLE_EVICTION_POLICY = 'noeviction';

/**
 * The state Redis may evict, and STATE_REDIS_REQUIRE_DURABLE=true: the gateway refuses to
 * start. `setting` names the Redis setting to fix.
 */
export class StateRedisNotDurableError extends Error {
  readonly code = 'STATE_NOT_DURABLE';
  readonly setting = 'maxmemory-policy';
  readonly policy: string;
  constructor(policy: string) {
    super(
      `the state Redis has maxmemory-policy ${policy}, which may evict API keys, usage ` +
        `counters, traffic policies and jobs; set maxmemory-policy ${DURABLE_EVICTION_POLICY} ` +
        'on it (STATE_REDIS_REQUIRE_DURABLE=true refuses anything else)',
    );
    this.name = 'StateRedisNotDurableError';
    this.policy = policy;
  }
}

export interface StateRedisOptions {
  url: string;
  /** STATE_REDIS_REQUIRE_DURABLE: start() rejects unless the policy is noeviction. */
  requireDurable: boolean;
  logger: Logger;
  /** How long start() waits for the state Redis when it must be checked. Default 10000. */
  startTimeoutMs?: number;
  /** For rediss://: CA and client certificate (REDIS_TLS_*_FILE); null: none. */
  tls?: TlsMaterial | null;
}

/**
 * The state role's Redis client: API keys, usage counters, traffic policies and jobs live here,
 * never in the cache Redis, whose LRU may drop anything. Other rooms take `client` as given.
 * Every time it (re)connects it reads the server's `maxmemory-policy`: a state Redis restarted
 * with another configuration is noticed, not just the one met at start.
 */
export class StateRedis {
  readonly client: RedisClient;
  readonly #requireDurable: boolean;
  readonly #log: Logger;
  readonly #startTimeoutMs: number;
  /** The policy last read; null until read (or when it cannot be read). */
  #policy: string | null = null;
  /** Whether a (re)connection is checked; off while start() does the first check itself. */
  #checkOnReady: boolean;

  constructor(options: StateRedisOptions) {
    const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    if (!Number.isInteger(startTimeoutMs) || startTimeoutMs < 1) {
      throw new TypeError(`startTimeoutMs must be a positive integer, got ${startTimeoutMs}`);
    }
    this.#requireDurable = options.requireDurable;
    this.#checkOnReady = !options.requireDurable;
    this.#startTimeoutMs = startTimeoutMs;
    this.#log = options.logger.child({ component: 'state-redis' });
    let lastWarn = 0;
    this.client = createRedisClient(
      options.url,
      (err) => {
        // A down Redis errors on every reconnect attempt; one line per 10 s is plenty.
        const now = Date.now();
        if (now - lastWarn > 10_000) {
          lastWarn = now;
          this.#log.warn({ err }, 'state redis unavailable; state writes answer 503');
        }
      },
      STATE_COMMAND_TIMEOUT_MS,
      options.tls ?? null,
    );
    this.client.on('ready', () => {
      if (!this.#checkOnReady) return;
      this.check().catch((err: unknown) => {
        if (!(err instanceof StateRedisNotDurableError)) {
          this.#log.warn({ err }, 'could not read the state Redis maxmemory-policy');
        }
      });
    });
  }

  /** The `maxmemory-policy` last read, or null when not (yet) known. */
  get evictionPolicy(): string | null {
    return this.#policy;
  }

  /**
   * Connects. With `requireDurable`, waits (up to startTimeoutMs) for the server and checks it:
   * rejects with StateRedisNotDurableError when it may evict, or with an Error when it cannot be
   * reached (the caller retries). Otherwise connects in the background, as the cache does.
   */
  async start(): Promise<void> {
    const connecting = this.client.connect();
    if (!this.#requireDurable) {
      connecting.catch(() => {});
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the state Redis did not answer within ${this.#startTimeoutMs} ms`)),
        this.#startTimeoutMs,
      );
    });
    try {
      await Promise.race([connecting, timeout]);
    } finally {
      clearTimeout(timer);
      connecting.catch(() => {});
    }
    await this.check();
    this.#checkOnReady = true;
  }

  /**
   * Reads `maxmemory-policy` from INFO (which managed Redis offerings answer even where CONFIG
   * is disabled). Anything but noeviction is logged at error level; with `requireDurable` it
   * also rejects with StateRedisNotDurableError.
   */
  async check(): Promise<string> {
    const info = String(await this.client.info('memory'));
    const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? 'unknown';
    this.#policy = policy;
    // Persistence is the operator's choice (AOF, RDB, or a managed service's replicas), so its
    // absence is a warning, never a refusal; the manifests turn AOF on.
    const persistence = String(await this.client.info('persistence'));
    if (/^aof_enabled:0/m.test(persistence)) {
      this.#log.warn(
        'the state Redis has no append-only file (appendonly no): a restart loses what was ' +
          'written since its last snapshot, if it takes any',
      );
    }
    if (policy === DURABLE_EVICTION_POLICY) {
      this.#log.info({ policy }, 'state redis never evicts');
      return policy;
    }
    const err = new StateRedisNotDurableError(policy);
    this.#log.error(
      { policy, requireDurable: this.#requireDurable },
      `STATE REDIS MAY EVICT STATE: ${err.message}`,
    );
    if (this.#requireDurable) throw err;
    return policy;
  }

  async close(): Promise<void> {
    await closeRedis(this.client);
  }
}
