import type { Caller, CallerLimits } from './key-record.js';
import type { KeyStore } from './key-store.js';
import type { UsageLimiter } from './usage-limiter.js';
import { usageWindows } from './usage-windows.js';

interface WindowReport {
  limit: number | null;
  used: number;
  remaining: number | null;
  resets_at: string;
}

/** The figures GET /v1/usage and GET /admin/usage answer. */
export class UsageReport {
  readonly #limiter: UsageLimiter;
  readonly #store: KeyStore;
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(options: {
    limiter: UsageLimiter;
    store: KeyStore;
    requestWindowMs: number;
    now?: () => number;
  }) {
    this.#limiter = options.limiter;
    this.#store = options.store;
    this.#windowMs = options.requestWindowMs;
    this.#now = options.now ?? Date.now;
  }

  async ofCaller(caller: Caller) {
    const windows = usageWindows(this.#now(), this.#windowMs);
    const used = await this.#limiter.usage(caller.subject, windows);
    const limits: CallerLimits = caller.limits;
    const report = (limit: number | null, n: number, resetAt: number): WindowReport => ({
      limit,
      used: n,
      remaining: limit === null ? null : Math.max(0, limit - n),
      resets_at: new Date(resetAt).toISOString(),
    });
    const record = caller.keyId === null ? null : await this.#store.get(caller.keyId);
    return {
      key_id: caller.keyId,
      name: record?.name ?? null,
      scopes: [...caller.scopes],
      models: [...caller.models],
      requests: report(limits.requestsPerMinute, used.requests, windows.requestsResetAt),
      rows_today: report(limits.rowsPerDay, used.rowsToday, windows.dayResetAt),
      rows_this_month: report(limits.rowsPerMonth, used.rowsThisMonth, windows.monthResetAt),
    };
  }

  /** Today's and this month's rows for every key. */
  async allKeys() {
    const windows = usageWindows(this.#now(), this.#windowMs);
    const day = new Date(this.#now()).toISOString().slice(0, 10);
    const keys = await this.#store.list();
    return Promise.all(
      keys.map(async (key) => {
        const used = await this.#limiter.usage(`k:${key.id}`, windows);
        return {
          key_id: key.id,
          name: key.name,
          day,
          rows: used.rowsToday,
          rows_this_month: used.rowsThisMonth,
          requests: used.requests,
        };
      }),
    );
  }
}
