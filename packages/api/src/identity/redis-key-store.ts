import type { RedisClient } from '../redis-client.js';
import { stateWriteError } from '../state/state-errors.js';
import type { KeyRecord } from './key-record.js';
import type { KeyStore } from './key-store.js';

const PREFIX = 'mlapi:v1:key:';
const USED_PREFIX = 'mlapi:v1:key-used:';
const INDEX = 'mlapi:v1:keys';

/**
 * Keys in Redis, one JSON string each plus a set of ids, shared by every replica. The client is
 * a parameter so the store can live on the state Redis (STATE_REDIS_URL) rather than the cache.
 * `last_used_at` is its own string, so a touch never races an admin's update of the record.
 */
export class RedisKeyStore implements KeyStore {
  readonly #redis: RedisClient;

  constructor(redis: RedisClient) {
    this.#redis = redis;
  }

  async get(id: string): Promise<KeyRecord | null> {
    const [json, used] = await this.#redis.mGet([PREFIX + id, USED_PREFIX + id]);
    return typeof json === 'string' ? withUsed(JSON.parse(json) as KeyRecord, used) : null;
  }

  async list(): Promise<KeyRecord[]> {
    const ids = (await this.#redis.sMembers(INDEX)).sort();
    if (ids.length === 0) return [];
    const values = await this.#redis.mGet([
      ...ids.map((id) => PREFIX + id),
      ...ids.map((id) => USED_PREFIX + id),
    ]);
    const records: KeyRecord[] = [];
    ids.forEach((_id, i) => {
      const json = values[i];
      if (typeof json === 'string') {
        records.push(withUsed(JSON.parse(json) as KeyRecord, values[i + ids.length]));
      }
    });
    return records;
  }

  async put(record: KeyRecord): Promise<void> {
    const { last_used_at: _used, ...rest } = record;
    // A full state Redis refuses the write: 503 saying so, and the keys it holds keep working.
    await this.#redis
      .multi()
      .set(PREFIX + record.id, JSON.stringify({ ...rest, last_used_at: null }))
      .sAdd(INDEX, record.id)
      .exec()
      .catch((err: unknown) => {
        throw stateWriteError(err, 'the API key');
      });
  }

  async touch(id: string, at: string): Promise<void> {
    await this.#redis.set(USED_PREFIX + id, at);
  }

  async delete(id: string): Promise<boolean> {
    const [removed] = await this.#redis
      .multi()
      .del(PREFIX + id)
      .del(USED_PREFIX + id)
      .sRem(INDEX, id)
      .exec();
    return Number(removed) > 0;
  }

  async close(): Promise<void> {}
}

function withUsed(record: KeyRecord, used: unknown): KeyRecord {
  return { ...record, last_used_at: typeof used === 'string' ? used : record.last_used_at };
}
