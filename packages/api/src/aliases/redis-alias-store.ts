import { PolledHash, type PolledStoreOptions } from '../state/polled-hash.js';
import { type AliasRecord, type AliasStore, parseAliasRecord } from './alias-store.js';

/** The three commands the store needs from a node-redis client. */
export interface RedisAliasClient {
  hGetAll(key: string): Promise<unknown>;
  hSet(key: string, field: string, value: string): Promise<unknown>;
  hDel(key: string, field: string): Promise<unknown>;
}

/** The hash defaults to `mlapi:aliases`, one field per alias. */
export type RedisAliasStoreOptions = PolledStoreOptions;

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
  readonly #hash: PolledHash<AliasRecord>;

  constructor(client: RedisAliasClient, options: RedisAliasStoreOptions = {}) {
    this.#client = client;
    this.#key = options.key ?? DEFAULT_REDIS_ALIAS_KEY;
    this.#hash = new PolledHash(client, {
      key: this.#key,
      pollMs: options.pollMs ?? 1000,
      parse: parseAliasRecord,
      onError: options.onError ?? (() => {}),
      onBadRecord: options.onBadRecord ?? (() => {}),
    });
  }

  get(alias: string): AliasRecord | undefined {
    return this.#hash.get(alias);
  }

  all(): AliasRecord[] {
    return this.#hash.all();
  }

  async set(alias: string, record: AliasRecord | null): Promise<void> {
    if (record === null) {
      await this.#client.hDel(this.#key, alias);
      this.#hash.drop(alias);
    } else {
      await this.#client.hSet(this.#key, alias, JSON.stringify(record));
      this.#hash.put(alias, record);
    }
  }

  start(): Promise<void> {
    return this.#hash.start();
  }

  close(): Promise<void> {
    return this.#hash.close();
  }

  /** Reads every record now; on failure the previous ones stay. */
  refresh(): Promise<void> {
    return this.#hash.refresh();
  }
}
