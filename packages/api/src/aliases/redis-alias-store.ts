import { type AliasRecord, type AliasStore, parseAliasRecord } from './alias-store.js';

/** The three commands the store needs from a node-redis client. */
export interface RedisAliasClient {
  hGetAll(key: string): Promise<unknown>;
  hSet(key: string, field: string, value: string): Promise<unknown>;
  hDel(key: string, field: string): Promise<unknown>;
}

export interface RedisAliasStoreOptions {
  /** The hash holding one field per alias. Default `mlapi:aliases`. */
  key?: string;
  /** How often every replica re-reads the hash. Default 1000, as traffic policies. */
  pollMs?: number;
  /** Called once per failed read (the gateway counts them). */
  onError?: (err: unknown) => void;
  /** Called when a stored record cannot be used. */
  onBadRecord?: (alias: string) => void;
}

export const DEFAULT_REDIS_ALIAS_KEY = 'mlapi:aliases';

/**
 * Run-time aliases in one Redis hash, shared by every replica the way traffic policies are
 * (redis-policy-store.ts): each replica polls the hash and swaps in what it read, and the writer
 * applies its own write at once. Setting an alias is a plain HSET: the last writer wins, which is
 * what re-pointing a name such as `champion` means; there is no read-modify-write to protect.
 */
export class RedisAliasStore implements AliasStore {
  readonly #client: RedisAliasClient;
  readonly #key: string;
  readonly #pollMs: number;
  readonly #onError: (err: unknown) => void;
  readonly #onBadRecord: (alias: string) => void;
  #records = new Map<string, AliasRecord>();
  #timer: NodeJS.Timeout | null = null;
  #polling: Promise<void> | null = null;

  constructor(client: RedisAliasClient, options: RedisAliasStoreOptions = {}) {
    const pollMs = options.pollMs ?? 1000;
    if (!Number.isInteger(pollMs) || pollMs < 10 || pollMs > 60_000) {
      throw new TypeError(`pollMs must be an integer in [10, 60000], got ${String(pollMs)}`);
    }
    this.#client = client;
    this.#key = options.key ?? DEFAULT_REDIS_ALIAS_KEY;
    this.#pollMs = pollMs;
    this.#onError = options.onError ?? (() => {});
    this.#onBadRecord = options.onBadRecord ?? (() => {});
  }

  get(alias: string): AliasRecord | undefined {
    return this.#records.get(alias);
  }

  all(): AliasRecord[] {
    return [...this.#records.values()];
  }

  async set(alias: string, record: AliasRecord | null): Promise<void> {
    if (record === null) {
      await this.#client.hDel(this.#key, alias);
      this.#records.delete(alias);
    } else {
      await this.#client.hSet(this.#key, alias, JSON.stringify(record));
      this.#records.set(alias, record);
    }
  }

  /** Reads once (a failure is reported, not thrown: Redis may come later), then polls. */
  async start(): Promise<void> {
    if (this.#timer !== null) return;
    await this.refresh();
    this.#timer = setInterval(() => {
      if (this.#polling === null) {
        this.#polling = this.refresh().finally(() => (this.#polling = null));
      }
    }, this.#pollMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#polling;
  }

  /** Reads every record now; on failure the previous ones stay. */
  async refresh(): Promise<void> {
    let raw: unknown;
    try {
      raw = await this.#client.hGetAll(this.#key);
    } catch (err) {
      this.#onError(err);
      return;
    }
    const records = new Map<string, AliasRecord>();
    for (const [alias, json] of Object.entries((raw ?? {}) as Record<string, string>)) {
      let record: AliasRecord | null = null;
      try {
        record = parseAliasRecord(alias, JSON.parse(json));
      } catch {
        record = null;
      }
      if (record === null) this.#onBadRecord(alias);
      else records.set(alias, record);
    }
    this.#records = records;
  }
}
