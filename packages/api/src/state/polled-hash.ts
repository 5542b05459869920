/** The one command a polled hash needs from a node-redis client. */
export interface HashReader {
  hGetAll(key: string): Promise<unknown>;
}

/** What a store built on a polled hash lets its caller set; each store gives its own defaults. */
export interface PolledStoreOptions {
  /** The hash holding one field per record. */
  key?: string;
  /** How often every replica re-reads the hash. Default 1000 (applied within about 1 s). */
  pollMs?: number;
  /** Called once per failed read (the gateway counts them). */
  onError?: (err: unknown) => void;
  /** Called when a stored record cannot be used (another gateway version, a hand edit). */
  onBadRecord?: (field: string) => void;
}

export interface PolledHashOptions<T> {
  /** The Redis hash: one field per record. */
  key: string;
  /** How often every replica re-reads the hash, ms, in [10, 60000]. */
  pollMs: number;
  /** A stored field and its JSON-decoded value → the record, or null when it cannot be used. */
  parse: (field: string, value: unknown) => T | null;
  /** Called once per failed read (the gateway counts them). */
  onError: (err: unknown) => void;
  /** Called when a stored record cannot be used (another gateway version, a hand edit). */
  onBadRecord: (field: string) => void;
}

/**
 * A replica's copy of one Redis hash of small JSON records (traffic policies, run-time aliases),
 * shared by every gateway replica. Each replica polls the hash (HGETALL) every `pollMs` and swaps
 * in what it read; the replica that writes applies its own write at once (`put`/`drop`). Polling
 * rather than pub/sub: it needs no second connection (node-redis gives a subscriber a connection
 * of its own), it cannot miss an update across a Redis restart or a dropped subscription, and one
 * small HGETALL a second per replica costs nothing. While Redis is unreachable the last records
 * read stay in force.
 */
export class PolledHash<T> {
  readonly #client: HashReader;
  readonly #o: PolledHashOptions<T>;
  #records = new Map<string, T>();
  #timer: NodeJS.Timeout | null = null;
  #polling: Promise<void> | null = null;

  constructor(client: HashReader, options: PolledHashOptions<T>) {
    const { pollMs } = options;
    if (!Number.isInteger(pollMs) || pollMs < 10 || pollMs > 60_000) {
      throw new TypeError(`pollMs must be an integer in [10, 60000], got ${String(pollMs)}`);
    }
    this.#client = client;
    this.#o = options;
  }

  get(field: string): T | undefined {
    return this.#records.get(field);
  }

  all(): T[] {
    return [...this.#records.values()];
  }

  /** Applies this replica's own write at once; the others see it at their next poll. */
  put(field: string, record: T): void {
    this.#records.set(field, record);
  }

  drop(field: string): void {
    this.#records.delete(field);
  }

  /** Reads once (a failure is reported, not thrown: Redis may come later), then polls. */
  async start(): Promise<void> {
    if (this.#timer !== null) return;
    await this.refresh();
    this.#timer = setInterval(() => {
      // A slow read is not stacked on by the next tick.
      if (this.#polling === null) {
        this.#polling = this.refresh().finally(() => (this.#polling = null));
      }
    }, this.#o.pollMs);
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
      raw = await this.#client.hGetAll(this.#o.key);
    } catch (err) {
      this.#o.onError(err);
      return;
    }
    const records = new Map<string, T>();
    for (const [field, json] of Object.entries((raw ?? {}) as Record<string, string>)) {
      let record: T | null = null;
      try {
        record = this.#o.parse(field, JSON.parse(json));
      } catch {
        record = null;
      }
      if (record === null) this.#o.onBadRecord(field);
      else records.set(field, record);
    }
    this.#records = records;
  }
}
