import type { PredictResult } from '../predict-result.js';
import type { PredictionCache } from './prediction-cache.js';

interface Entry {
  value: PredictResult;
  expiresAt: number;
}

/**
 * The embedded default: a bounded LRU with per-entry TTL. A Map keeps insertion order, so
 * re-inserting on a hit moves an entry to the young end and the first key is the eldest.
 */
export class LruCache implements PredictionCache {
  readonly #max: number;
  readonly #entries = new Map<string, Entry>();

  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new TypeError('maxEntries must be a positive integer');
    }
    this.#max = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  async get(key: string): Promise<PredictResult | undefined> {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= Date.now()) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  async set(key: string, value: PredictResult, ttlSeconds: number): Promise<void> {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 });
    if (this.#entries.size > this.#max) {
      const eldest = this.#entries.keys().next();
      if (eldest.done !== true) this.#entries.delete(eldest.value);
    }
  }

  async close(): Promise<void> {
    this.#entries.clear();
  }
}
