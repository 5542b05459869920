import type { CallerLimits } from './key-record.js';
import type { UsageWindows } from './usage-windows.js';

/** What a caller has used in the current windows. */
export interface Usage {
  readonly requests: number;
  readonly rowsToday: number;
  readonly rowsThisMonth: number;
}

/** Which limit refused a request; null: none did. */
export type Refusal = 'requests' | 'day' | 'month' | null;

export interface LimitDecision {
  readonly refusal: Refusal;
  /** Usage after the request (when allowed) or as it stood (when refused); null: unknown. */
  readonly usage: Usage | null;
}

/**
 * Checks and consumes a caller's request and rows in one atomic step, shared by every replica
 * (Redis) or by this process (embedded). A refused request consumes nothing. With
 * `countRequest` false only rows are checked and consumed: more rows of a request already
 * counted (a job's NDJSON upload, charged chunk by chunk as it streams in).
 */
export interface UsageLimiter {
  consume(
    subject: string,
    limits: CallerLimits,
    rows: number,
    windows: UsageWindows,
    countRequest?: boolean,
  ): Promise<LimitDecision>;
  /**
   * consume() decided here and now, with no round trip, when it can be (the Redis limiter's
   * lease holds enough); null when only consume() can decide.
   */
  spendLeased?(
    subject: string,
    limits: CallerLimits,
    rows: number,
    windows: UsageWindows,
  ): LimitDecision | null;
  /** Gives back rows consumed for a request that was not answered. */
  refund(subject: string, rows: number, windows: UsageWindows): Promise<void>;
  usage(subject: string, windows: UsageWindows): Promise<Usage>;
  /** Reports and gives back what this replica holds (the Redis limiter's leases). */
  close?(): Promise<void>;
}

/** The counters' names; the hash tag keeps one caller's counters in one cluster slot. */
export function counterKeys(subject: string, windows: UsageWindows): [string, string, string] {
  const base = `mlapi:v1:use:{${subject}}:`;
  return [base + windows.requestsId, base + windows.dayId, base + windows.monthId];
}

/**
 * What the shared limiter's scripts work on: the three counters, then beside each the hash of
 * the leases taken from it (usage-scripts.ts), in the same cluster slot.
 */
export function counterAndLeaseKeys(subject: string, windows: UsageWindows): string[] {
  const counters = counterKeys(subject, windows);
  return [...counters, ...counters.map((key) => `${key}:leases`)];
}

/** A counter outlives its window by this much, so a late refund finds it. */
export const EXPIRY_SLACK_MS = 60_000;

export const REFUSAL_BY_CODE: readonly Refusal[] = [null, 'requests', 'day', 'month'];
