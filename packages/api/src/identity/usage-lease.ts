import type { CallerLimits } from './key-record.js';
import type { Usage } from './usage-limiter.js';
import type { UsageWindows } from './usage-windows.js';

export interface UsageLeaseOptions {
  /**
   * Lease only while every limited counter has at least this many units left; nearer a limit,
   * every request is checked in Redis. 0: never lease (every request is one round trip).
   */
  minFree: number;
  /** A lease takes 1/divisor of what is left, so N replicas together hold at most N/divisor. */
  divisor: number;
  /** A lease holds at most this many requests and this many rows. */
  maxRequests: number;
  maxRows: number;
  /** How often a replica reports what it spent, and gives back a lease it no longer uses. */
  settleMs: number;
  /** A lease not reported for this long counts as used (its replica is presumed dead). */
  ttlMs: number;
}

export const LEASE_DEFAULTS: UsageLeaseOptions = {
  minFree: 1024,
  divisor: 16,
  maxRequests: 4096,
  maxRows: 65_536,
  settleMs: 250,
  ttlMs: 30_000,
};

/** One figure per counter, in key order: requests in the window, rows today, rows this month. */
export type Triple = [number, number, number];

/** The limits in counter order; -1: none. */
export function limitTriple(limits: CallerLimits): Triple {
  return [limits.requestsPerMinute ?? -1, limits.rowsPerDay ?? -1, limits.rowsPerMonth ?? -1];
}

// A request's lease id is built from objects that live for many requests (the windows until one
// ends, the limits as long as the cached key record), so each part is built once per object.
const windowsIds = new WeakMap<UsageWindows, string>();
const limitsIds = new WeakMap<CallerLimits, string>();

/** Names the three windows: a lease is good only in the windows it was taken in. */
export function windowsId(windows: UsageWindows): string {
  let id = windowsIds.get(windows);
  if (id === undefined) {
    id = `${windows.requestsId}|${windows.dayId}|${windows.monthId}`;
    windowsIds.set(windows, id);
  }
  return id;
}

/** What a request must match to spend from a lease: its windows and its limits. */
export function leaseId(windows: UsageWindows, limits: CallerLimits): string {
  let limitsPart = limitsIds.get(limits);
  if (limitsPart === undefined) {
    limitsPart = limitTriple(limits).join('/');
    limitsIds.set(limits, limitsPart);
  }
  return `${windowsId(windows)}|${limitsPart}`;
}

/**
 * Budget this replica took from the shared counters ahead of need (usage-scripts.ts), spent here
 * without a round trip to Redis. On a limited counter the units are already counted in Redis,
 * so spending them is local; on an unlimited one nothing is held and what is used is added at
 * the next settle. A lease belongs to one set of windows and one set of limits: a new minute, or
 * a key whose limits changed, takes a new one.
 */
export class UsageLease {
  /** `windowsId()` and the limits: what a request must match to spend from this lease. */
  readonly id: string;
  readonly windows: UsageWindows;
  /** `windowsId(windows)`: refunds and usage readings match a lease by its windows alone. */
  readonly windowsKey: string;
  readonly limits: Triple;
  /** Units held and unused, per limited counter (unlimited counters: -1). */
  readonly held: Triple;
  /** Units used on unlimited counters since the last settle, to be added there. */
  readonly unsettled: Triple = [0, 0, 0];
  /** What the counters said was used, without this lease's held units, at the last reading. */
  readonly base: Triple;
  /** Units used since that reading. */
  readonly since: Triple = [0, 0, 0];
  /** Whether anything was spent since the last settle. */
  active = true;

  constructor(id: string, windows: UsageWindows, limits: Triple, counters: Triple, leased: Triple) {
    this.id = id;
    this.windows = windows;
    this.windowsKey = windowsId(windows);
    this.limits = limits;
    this.held = [leased[0], leased[1], leased[2]];
    this.base = [0, 0, 0];
    for (let i = 0; i < 3; i++) {
      this.base[i] = (counters[i] as number) - Math.max(0, leased[i] as number);
    }
  }

  /**
   * Spends a request (`requests`: 1, or 0 for more rows of one) and its rows when every limited
   * counter holds enough; else spends nothing.
   */
  take(requests: number, rows: number): boolean {
    const held = this.held;
    if ((held[0] >= 0 && held[0] < requests) || (held[1] >= 0 && held[1] < rows)) return false;
    if (held[2] >= 0 && held[2] < rows) return false;
    for (let i = 0; i < 3; i++) {
      const n = i === 0 ? requests : rows;
      if ((held[i] as number) >= 0) held[i] = (held[i] as number) - n;
      else this.unsettled[i] = (this.unsettled[i] as number) + n;
      this.since[i] = (this.since[i] as number) + n;
    }
    this.active = true;
    return true;
  }

  /**
   * Rows of an unanswered request come back: on a limited counter they become held units again
   * (the counter still counts them, as it counts every lease), on an unlimited one they are
   * subtracted at the next settle. Right whether the rows came from this lease or not.
   */
  refund(rows: number): void {
    for (let i = 1; i < 3; i++) {
      if ((this.held[i] as number) >= 0) this.held[i] = (this.held[i] as number) + rows;
      else this.unsettled[i] = (this.unsettled[i] as number) - rows;
      this.since[i] = (this.since[i] as number) - rows;
    }
  }

  /** What the caller has used, as far as this replica knows. */
  view(): Usage {
    return {
      requests: (this.base[0] as number) + (this.since[0] as number),
      rowsToday: (this.base[1] as number) + (this.since[1] as number),
      rowsThisMonth: (this.base[2] as number) + (this.since[2] as number),
    };
  }

  /**
   * Takes what a settle sends (held units, unsettled units) and resets the counts since: the
   * settle's reply reads the counters as they were at this moment. `restore` undoes it when the
   * settle fails.
   */
  snapshot(): { held: Triple; unsettled: Triple; restore(): void } {
    const held: Triple = [this.held[0], this.held[1], this.held[2]];
    const unsettled: Triple = [this.unsettled[0], this.unsettled[1], this.unsettled[2]];
    const since: Triple = [this.since[0], this.since[1], this.since[2]];
    for (let i = 0; i < 3; i++) {
      this.unsettled[i] = 0;
      this.since[i] = 0;
    }
    this.active = false;
    return {
      held,
      unsettled,
      restore: () => {
        for (let i = 0; i < 3; i++) {
          this.unsettled[i] = (this.unsettled[i] as number) + (unsettled[i] as number);
          this.since[i] = (this.since[i] as number) + (since[i] as number);
        }
      },
    };
  }

  /** A settle's reading: the counters as they were when its snapshot was taken. */
  read(counters: Triple, heldThen: Triple): void {
    for (let i = 0; i < 3; i++) {
      this.base[i] = (counters[i] as number) - Math.max(0, heldThen[i] as number);
    }
  }

  /** Whether some limited counter has less than `minFree` units left for everyone. */
  nearLimit(minFree: number): boolean {
    for (let i = 0; i < 3; i++) {
      const limit = this.limits[i] as number;
      if (limit < 0) continue;
      const usedByAll = (this.base[i] as number) + (this.since[i] as number);
      if (limit - usedByAll - Math.max(0, this.held[i] as number) < minFree) return true;
    }
    return false;
  }
}
