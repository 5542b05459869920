import type { PredictResult } from '@mlapi/contracts';
import type { PredictionCache } from './prediction-cache.js';

/** The two commands the cache needs from a node-redis client. */
export interface RedisLike {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, options: { EX: number }): Promise<unknown>;
}

/**
 * Predictions in Redis, shared by every replica. The client is created with
 * `disableOfflineQueue` and a command timeout (see redis-client.ts), so while Redis is down
 * each call rejects at once instead of queueing behind a reconnect.
 */
export class RedisCache implements PredictionCache {
  readonly #client: RedisLike;

  constructor(client: RedisLike) {
    this.#client = client;
  }

  async get(key: string): Promise<PredictResult | undefined> {
    const raw = await this.#client.get(key);
    return raw === null ? undefined : (JSON.parse(raw) as PredictResult);
  }

  async set(key: string, value: PredictResult, ttlSeconds: number): Promise<void> {
    await this.#client.set(key, JSON.stringify(value), { EX: ttlSeconds });
  }

  /** The client is shared with the rate-limit store; its owner closes it. */
  async close(): Promise<void> {}
}
