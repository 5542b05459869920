import { type PolicyStore, parseRecord, type TrafficRecord } from './policy-store.js';

/** The two commands the store needs from a node-redis client. */
export interface RedisPolicyClient {
  hGetAll(key: string): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

export interface RedisPolicyStoreOptions {
  /** The hash holding one field per model. Default `mlapi:traffic:policies`. */
  key?: string;
  /** How often every replica re-reads the hash. Default 1000 (policies apply within ~1 s). */
  pollMs?: number;
  /** Called once per failed read or write (the gateway counts them). */
  onError?: (err: unknown) => void;
  /** Called when a stored record cannot be used (another gateway version, a hand edit). */
  onBadRecord?: (model: string) => void;
}

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
 * Policies in one Redis hash, shared by every gateway replica. Each replica polls the hash
 * (HGETALL) every `pollMs` and swaps in what it read; the replica that writes applies its own
 * write at once. Polling rather than pub/sub: it needs no second connection (node-redis gives a
 * subscriber a connection of its own), it cannot miss an update across a Redis restart or a
 * dropped subscription, and one small HGETALL a second per replica costs nothing. The bound is
 * one poll interval plus a round trip, well inside the 2 s the design allows. While Redis is
 * unreachable the last policies read stay in force.
 */
export class RedisPolicyStore implements PolicyStore {
  readonly #client: RedisPolicyClient;
  readonly #key: string;
  readonly #pollMs: number;
  readonly #onError: (err: unknown) => void;
  readonly #onBadRecord: (model: string) => void;
  #records = new Map<string, TrafficRecord>();
  #timer: NodeJS.Timeout | null = null;
  #polling: Promise<void> | null = null;

  constructor(client: RedisPolicyClient, options: RedisPolicyStoreOptions = {}) {
    const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    if (!Number.isInteger(pollMs) || pollMs < 10 || pollMs > 60_000) {
      throw new TypeError(`pollMs must be an integer in [10, 60000], got ${String(pollMs)}`);
    }
    this.#client = client;
    this.#key = options.key ?? DEFAULT_REDIS_POLICY_KEY;
    this.#pollMs = pollMs;
    this.#onError = options.onError ?? (() => {});
    this.#onBadRecord = options.onBadRecord ?? (() => {});
  }

  get(model: string): TrafficRecord | undefined {
    return this.#records.get(model);
  }

  all(): TrafficRecord[] {
    return [...this.#records.values()];
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
    if (record === null) this.#records.delete(model);
    else this.#records.set(model, record);
    return true;
  }

  /** Reads once (a failure is reported, not thrown: Redis may come later), then polls. */
  async start(): Promise<void> {
    if (this.#timer !== null) return;
    await this.refresh();
    this.#timer = setInterval(() => {
      // A slow read is not stacked on by the next tick.
      if (this.#polling === null)
        this.#polling = this.refresh().finally(() => (this.#polling = null));
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
    const records = new Map<string, TrafficRecord>();
    for (const [model, json] of Object.entries((raw ?? {}) as Record<string, string>)) {
      let record: TrafficRecord | null = null;
      try {
        record = parseRecord(model, JSON.parse(json));
      } catch {
        record = null;
      }
      if (record === null) this.#onBadRecord(model);
      else records.set(model, record);
    }
    this.#records = records;
  }
}
