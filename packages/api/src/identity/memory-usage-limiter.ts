import { LRUCache } from 'lru-cache';
import type { CallerLimits } from './key-record.js';
import {
  counterKeys,
  EXPIRY_SLACK_MS,
  type LimitDecision,
  type Usage,
  type UsageLimiter,
} from './usage-limiter.js';
import type { UsageWindows } from './usage-windows.js';

/** Bounds the counters one process keeps; the least recently used go first. */
const MAX_COUNTERS = 100_000;

/**
 * The embedded limiter, for a gateway without Redis: the Redis script's rules on counters in
 * this process. JavaScript runs one turn at a time, so check-and-consume is atomic here too.
 */
export class MemoryUsageLimiter implements UsageLimiter {
  readonly #counters = new LRUCache<string, number>({ max: MAX_COUNTERS });
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async consume(
    subject: string,
    limits: CallerLimits,
    rows: number,
    windows: UsageWindows,
    countRequest = true,
  ): Promise<LimitDecision> {
    const [reqKey, dayKey, monthKey] = counterKeys(subject, windows);
    const usage = this.#read(reqKey, dayKey, monthKey);
    const over = (value: number, add: number, max: number | null) =>
      max !== null && value + add > max;
    if (countRequest && over(usage.requests, 1, limits.requestsPerMinute)) {
      return { refusal: 'requests', usage };
    }
    if (over(usage.rowsToday, rows, limits.rowsPerDay)) return { refusal: 'day', usage };
    if (over(usage.rowsThisMonth, rows, limits.rowsPerMonth)) return { refusal: 'month', usage };
    if (countRequest) this.#add(reqKey, 1, windows.requestsResetAt);
    if (rows > 0) {
      this.#add(dayKey, rows, windows.dayResetAt);
      this.#add(monthKey, rows, windows.monthResetAt);
    }
    return { refusal: null, usage: this.#read(reqKey, dayKey, monthKey) };
  }

  async refund(subject: string, rows: number, windows: UsageWindows): Promise<void> {
    const [, dayKey, monthKey] = counterKeys(subject, windows);
    for (const key of [dayKey, monthKey]) {
      const value = this.#counters.get(key);
      if (value !== undefined) this.#counters.set(key, value - rows, { noUpdateTTL: true });
    }
  }

  async usage(subject: string, windows: UsageWindows): Promise<Usage> {
    const [reqKey, dayKey, monthKey] = counterKeys(subject, windows);
    return this.#read(reqKey, dayKey, monthKey);
  }

  #read(reqKey: string, dayKey: string, monthKey: string): Usage {
    return {
      requests: this.#counters.get(reqKey) ?? 0,
      rowsToday: this.#counters.get(dayKey) ?? 0,
      rowsThisMonth: this.#counters.get(monthKey) ?? 0,
    };
  }

  #add(key: string, amount: number, resetAt: number): void {
    const value = this.#counters.get(key);
    if (value === undefined) {
      const ttl = Math.max(1, resetAt + EXPIRY_SLACK_MS - this.#now());
      this.#counters.set(key, amount, { ttl });
    } else {
      this.#counters.set(key, value + amount, { noUpdateTTL: true });
    }
  }
}
