import type { CallerLimits } from './key-record.js';
import type { Usage } from './usage-limiter.js';
import { DAY_SECONDS, MONTH_SECONDS, type UsageWindows } from './usage-windows.js';

/**
 * Each limits object's RateLimit-Policy, made once: a caller's limits object lives as long as
 * its cached key record (or the gateway, when auth is off), and its window lengths never change.
 */
const policies = new WeakMap<CallerLimits, string>();

/**
 * The IETF httpapi-ratelimit-headers fields: `RateLimit-Policy` names each limit (quota `q`,
 * window `w` seconds) and `RateLimit` what is left of each (`r`) and seconds to reset (`t`).
 * Null when the caller has no limit at all.
 */
export function rateLimitHeaders(
  limits: CallerLimits,
  usage: Usage | null,
  windows: UsageWindows,
  now: number,
): { policy: string; state: string } | null {
  const items: { name: string; quota: number; window: number; used: number; resetAt: number }[] =
    [];
  if (limits.requestsPerMinute !== null) {
    items.push({
      name: 'requests',
      quota: limits.requestsPerMinute,
      window: windows.requestsSeconds,
      used: usage?.requests ?? 0,
      resetAt: windows.requestsResetAt,
    });
  }
  if (limits.rowsPerDay !== null) {
    items.push({
      name: 'rows-day',
      quota: limits.rowsPerDay,
      window: DAY_SECONDS,
      used: usage?.rowsToday ?? 0,
      resetAt: windows.dayResetAt,
    });
  }
  if (limits.rowsPerMonth !== null) {
    items.push({
      name: 'rows-month',
      quota: limits.rowsPerMonth,
      window: MONTH_SECONDS,
      used: usage?.rowsThisMonth ?? 0,
      resetAt: windows.monthResetAt,
    });
  }
  if (items.length === 0) return null;
  let policy = policies.get(limits);
  if (policy === undefined) {
    policy = items.map((i) => `"${i.name}";q=${i.quota};w=${i.window}`).join(', ');
    policies.set(limits, policy);
  }
  return {
    policy,
    state: items
      .map(
        (i) => `"${i.name}";r=${Math.max(0, i.quota - i.used)};t=${secondsUntil(i.resetAt, now)}`,
      )
      .join(', '),
  };
}

/** Whole seconds until `at`, at least 1: what Retry-After and `t` carry. */
export function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}
