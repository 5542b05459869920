import { PolledHash, type PolledStoreOptions } from '../state/polled-hash.js';
import { type PolicyStore, parseRecord, type TrafficRecord } from './policy-store.js';

/** The two commands the store needs from a node-redis client. */
export interface RedisPolicyClient {
  hGetAll(key: string): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** The hash defaults to `mlapi:traffic:policies`, one field per model. */
export type RedisPolicyStoreOptions = PolledStoreOptions;

export const DEFAULT_REDIS_POLICY_KEY = 'mlapi:traffic:policies';
const DEFAULT_POLL_MS = 1000;

// Compare-and-set on the record's revision, in one atomic step on the server.
const CAS_SCRIPT = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
local revision = 0
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and tonumber(decoded.revision) then
    revision = tonumber(decoded.revision)
  end
end
if revision ~= tonumber(ARGV[2]) then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
return 1
`;

/**
 * Policies in one Redis hash, shared by every gateway replica: each replica keeps a polled copy
 * (state/polled-hash.ts), so a policy applies everywhere within one poll interval plus a round
 * trip, well inside the 2 s the design allows. Writes are a compare-and-set on the record's
 * revision in one atomic server-side step.
 */
export class RedisPolicyStore implements PolicyStore {
  readonly #client: RedisPolicyClient;
  readonly #key: string;
  readonly #hash: PolledHash<TrafficRecord>;

  constructor(client: RedisPolicyClient, options: RedisPolicyStoreOptions = {}) {
    this.#client = client;
    this.#key = options.key ?? DEFAULT_REDIS_POLICY_KEY;
    this.#hash = new PolledHash(client, {
      key: this.#key,
      pollMs: options.pollMs ?? DEFAULT_POLL_MS,
      parse: parseRecord,
      onError: options.onError ?? (() => {}),
      onBadRecord: options.onBadRecord ?? (() => {}),
    });
  }

  get(model: string): TrafficRecord | undefined {
    return this.#hash.get(model);
  }

  all(): TrafficRecord[] {
    return this.#hash.all();
  }

  async compareAndSet(
    model: string,
    expected: number,
    record: TrafficRecord | null,
  ): Promise<boolean> {
    const stored = await this.#client.eval(CAS_SCRIPT, {
      keys: [this.#key],
      arguments: [model, String(expected), record === null ? '' : JSON.stringify(record)],
    });
    if (Number(stored) !== 1) return false;
    if (record === null) this.#hash.drop(model);
    else this.#hash.put(model, record);
    return true;
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
