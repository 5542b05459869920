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
  // Built by concatenation: this runs on every limited request.
  let policy = policies.get(limits);
  let state = '';
  const add = (name: string, quota: number | null, window: number, used: number, at: number) => {
    if (quota === null) return;
    if (state !== '') state += ', ';
    state += `"${name}";r=${Math.max(0, quota - used)};t=${secondsUntil(at, now)}`;
    if (policies.has(limits)) return;
    policy = `${policy === undefined ? '' : `${policy}, `}"${name}";q=${quota};w=${window}`;
  };
  add(
    'requests',
    limits.requestsPerMinute,
    windows.requestsSeconds,
    usage?.requests ?? 0,
    windows.requestsResetAt,
  );
  add('rows-day', limits.rowsPerDay, DAY_SECONDS, usage?.rowsToday ?? 0, windows.dayResetAt);
  add(
    'rows-month',
    limits.rowsPerMonth,
    MONTH_SECONDS,
    usage?.rowsThisMonth ?? 0,
    windows.monthResetAt,
  );
  if (policy === undefined) return null;
  policies.set(limits, policy);
  return { policy, state };
}

/** Whole seconds until `at`, at least 1: what Retry-After and `t` carry. */
export function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}
