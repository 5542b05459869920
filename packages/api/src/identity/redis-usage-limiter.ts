import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis-client.js';
import type { CallerLimits } from './key-record.js';
import {
  LEASE_DEFAULTS,
  leaseId,
  limitTriple,
  type Triple,
  UsageLease,
  type UsageLeaseOptions,
  windowsId,
} from './usage-lease.js';
import {
  counterAndLeaseKeys,
  counterKeys,
  EXPIRY_SLACK_MS,
  type LimitDecision,
  REFUSAL_BY_CODE,
  type Usage,
  type UsageLimiter,
} from './usage-limiter.js';
import { CONSUME, REFUND, SETTLE } from './usage-scripts.js';
import type { UsageWindows } from './usage-windows.js';

export interface RedisUsageLimiterOptions {
  leases?: Partial<UsageLeaseOptions>;
  /** Names this replica's leases in Redis; random by default. */
  replica?: string;
  /** Counts a settle that failed (requests are still served). */
  onError?: (err: unknown) => void;
  now?: () => number;
}

const count = (value: unknown): number => {
  if (typeof value !== 'number') throw new Error('unexpected reply from the usage script');
  return value;
};

/**
 * The shared limiter: counters in Redis, checked and consumed atomically by Lua scripts
 * (usage-scripts.ts). A caller far from its limits spends from a lease, budget this replica took
 * ahead of need, so most requests cost no round trip; near a limit every request is checked in
 * Redis. Leases never let a caller pass a limit: leased units are counted as used the moment
 * they are taken. What they cost: another replica may refuse a caller while this one still holds
 * up to 1/16 of what was left (for at most one settle period once the caller slows down), and a
 * replica that dies leaves its unused lease counted as used.
 */
export class RedisUsageLimiter implements UsageLimiter {
  readonly #redis: RedisClient;
  readonly #leaseOptions: UsageLeaseOptions;
  readonly #replica: string;
  readonly #onError: (err: unknown) => void;
  readonly #now: () => number;
  /** Each caller's lease on this replica, by subject. */
  readonly #leases = new Map<string, UsageLease>();
  /** Subjects whose lease is being renewed; their other requests wait for it. */
  readonly #renewals = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | null = null;

  constructor(redis: RedisClient, options: RedisUsageLimiterOptions = {}) {
    this.#redis = redis;
    this.#leaseOptions = { ...LEASE_DEFAULTS, ...options.leases };
    this.#replica = options.replica ?? randomBytes(6).toString('hex');
    this.#onError = options.onError ?? (() => {});
    this.#now = options.now ?? Date.now;
  }

  async consume(
    subject: string,
    limits: CallerLimits,
    rows: number,
    windows: UsageWindows,
    countRequest = true,
  ): Promise<LimitDecision> {
    const requests = countRequest ? 1 : 0;
    const id = leaseId(windows, limits);
    const spent = this.#spend(subject, id, requests, rows);
    if (spent !== null) return spent;
    const need: Triple = [requests, rows, rows];
    const limitsOf = limitTriple(limits);
    const renewal = this.#renewals.get(subject);
    if (renewal !== undefined) {
      // Another request is renewing this caller's lease: one lease per caller per replica.
      await renewal;
      return (
        this.#spend(subject, id, requests, rows) ?? this.#consume(subject, limitsOf, need, windows)
      );
    }
    let renewed = () => {};
    this.#renewals.set(
      subject,
      new Promise<void>((resolve) => {
        renewed = resolve;
      }),
    );
    try {
      const old = this.#detach(subject);
      if (old !== null && old.id !== id) {
        // Another window or other limits: the old lease goes back to its own counters.
        this.#settle(subject, old, 'release').catch(this.#onError);
      }
      return await this.#consume(
        subject,
        limitsOf,
        need,
        windows,
        old !== null && old.id === id ? old : null,
        this.#leaseOptions.minFree > 0 ? id : null,
      );
    } finally {
      this.#renewals.delete(subject);
      renewed();
    }
  }

  spendLeased(
    subject: string,
    limits: CallerLimits,
    rows: number,
    windows: UsageWindows,
  ): LimitDecision | null {
    return this.#spend(subject, leaseId(windows, limits), 1, rows);
  }

  async refund(subject: string, rows: number, windows: UsageWindows): Promise<void> {
    const lease = this.#leaseIn(subject, windows);
    if (lease !== null) {
      lease.refund(rows);
      return;
    }
    const [, day, month] = counterKeys(subject, windows);
    await this.#redis.eval(REFUND, { keys: [day, month], arguments: [String(rows)] });
  }

  /** Exact on this replica; another replica's spending shows within one settle period. */
  async usage(subject: string, windows: UsageWindows): Promise<Usage> {
    const lease = this.#leaseIn(subject, windows);
    // Reporting first makes the answer exact; a state Redis that refuses writes (full) can still
    // be read, and `since` then holds everything spent since the last report.
    const reported =
      lease === null
        ? null
        : await this.#settle(subject, lease, 'keep').catch((err: unknown) => {
            this.#onError(err);
            return null;
          });
    const reading =
      reported ?? (await this.#settleScript(subject, windows, 'read', [-1, -1, -1], [0, 0, 0]));
    const used = (i: number) =>
      (reading[2 * i] as number) - (reading[2 * i + 1] as number) + (lease?.since[i] ?? 0);
    return { requests: used(0), rowsToday: used(1), rowsThisMonth: used(2) };
  }

  /** Reports and gives back every lease this replica holds. */
  async close(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    const leases = [...this.#leases];
    this.#leases.clear();
    await Promise.allSettled(
      leases.map(([subject, lease]) => this.#settle(subject, lease, 'release')),
    );
  }

  /** Spends from the caller's lease; null when it has none for these windows, or too little. */
  #spend(subject: string, id: string, requests: number, rows: number): LimitDecision | null {
    const lease = this.#leases.get(subject);
    if (lease === undefined || lease.id !== id || !lease.take(requests, rows)) return null;
    return { refusal: null, usage: lease.view() };
  }

  /** The caller's lease when it was taken in these windows. */
  #leaseIn(subject: string, windows: UsageWindows): UsageLease | null {
    const lease = this.#leases.get(subject);
    return lease?.windowsKey === windowsId(windows) ? lease : null;
  }

  #detach(subject: string): UsageLease | null {
    const lease = this.#leases.get(subject) ?? null;
    this.#leases.delete(subject);
    return lease;
  }

  /**
   * One round trip: gives back `old` (same windows and limits), checks and consumes `need`, and
   * takes a new lease when `leaseId` is given and the caller is far from its limits.
   */
  async #consume(
    subject: string,
    limits: Triple,
    need: Triple,
    windows: UsageWindows,
    old: UsageLease | null = null,
    leaseId: string | null = null,
  ): Promise<LimitDecision> {
    const o = this.#leaseOptions;
    const gives = old?.snapshot();
    const replica = old !== null || leaseId !== null ? this.#replica : '';
    // If this fails, the units the old lease held stay counted as used (never handed out twice)
    // until its field expires.
    const reply = await this.#redis.eval(CONSUME, {
      keys: counterAndLeaseKeys(subject, windows),
      arguments: [
        String(need[1]),
        ...limits.map(String),
        ...expiries(windows),
        need[0] === 1 ? '1' : '0',
        replica,
        ...(gives?.held ?? [0, 0, 0]).map((n) => String(Math.max(0, n))),
        ...(gives?.unsettled ?? [0, 0, 0]).map(String),
        leaseId !== null ? '1' : '0',
        String(this.#now() + o.ttlMs),
        String(o.minFree),
        String(o.divisor),
        String(o.maxRequests),
        String(o.maxRows),
      ],
    });
    const values = Array.isArray(reply) ? reply : [];
    const code = count(values[0]);
    const counters: Triple = [count(values[1]), count(values[2]), count(values[3])];
    if (code === 0 && leaseId !== null && count(values[4]) !== 0) {
      const leased: Triple = [count(values[4]), count(values[5]), count(values[6])];
      this.#leases.set(subject, new UsageLease(leaseId, windows, limits, counters, leased));
      this.#startTimer();
    }
    const usage = { requests: counters[0], rowsToday: counters[1], rowsThisMonth: counters[2] };
    if (code !== 0) return { refusal: REFUSAL_BY_CODE[code] ?? null, usage };
    const lease = this.#leases.get(subject);
    return { refusal: null, usage: lease !== undefined ? lease.view() : usage };
  }

  /** Keeps (reports) or releases a lease; returns the script's {counter, leased} pairs. */
  async #settle(subject: string, lease: UsageLease, mode: 'keep' | 'release'): Promise<number[]> {
    const sent = lease.snapshot();
    try {
      const reading = await this.#settleScript(
        subject,
        lease.windows,
        mode,
        sent.held,
        sent.unsettled,
      );
      lease.read([reading[0], reading[2], reading[4]] as Triple, sent.held);
      return reading;
    } catch (err) {
      sent.restore();
      throw err;
    }
  }

  async #settleScript(
    subject: string,
    windows: UsageWindows,
    mode: 'keep' | 'release' | 'read',
    held: Triple,
    unsettled: Triple,
  ): Promise<number[]> {
    const now = this.#now();
    const reply = await this.#redis.eval(SETTLE, {
      keys: counterAndLeaseKeys(subject, windows),
      arguments: [
        this.#replica,
        mode,
        ...held.map(String),
        ...unsettled.map(String),
        ...expiries(windows),
        String(now + this.#leaseOptions.ttlMs),
        String(now),
      ],
    });
    const values = Array.isArray(reply) ? reply.map(count) : [];
    if (values.length !== 6) throw new Error('unexpected reply from the settle script');
    return values;
  }

  #startTimer(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => this.#tick(), this.#leaseOptions.settleMs);
    this.#timer.unref();
  }

  /** Reports each busy lease; gives back one unused since the last tick, or near a limit. */
  #tick(): void {
    for (const [subject, lease] of this.#leases) {
      if (this.#renewals.has(subject)) continue;
      if (!lease.active || lease.nearLimit(this.#leaseOptions.minFree / 2)) {
        this.#detach(subject);
        this.#settle(subject, lease, 'release').catch(this.#onError);
      } else {
        this.#settle(subject, lease, 'keep').catch(this.#onError);
      }
    }
    if (this.#leases.size === 0 && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }
}

/** When each counter (and its lease hash) may go: a little after its window ends. */
function expiries(windows: UsageWindows): string[] {
  return [
    String(windows.requestsResetAt + EXPIRY_SLACK_MS),
    String(windows.dayResetAt + EXPIRY_SLACK_MS),
    String(windows.monthResetAt + EXPIRY_SLACK_MS),
  ];
}
