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
  const policy = policyOf(limits, windows);
  if (policy === null) return null;
  // Built by concatenation over a fixed table: this runs on every limited request.
  let state = '';
  for (const limit of LIMITS) {
    const quota = limit.quota(limits);
    if (quota === null) continue;
    const left = Math.max(0, quota - (usage === null ? 0 : limit.used(usage)));
    const item = `"${limit.name}";r=${left};t=${secondsUntil(limit.resetAt(windows), now)}`;
    state = state === '' ? item : `${state}, ${item}`;
  }
  return { policy, state };
}

/** The three limits, in header order, and where each one's figures are. */
const LIMITS: readonly {
  name: string;
  quota(limits: CallerLimits): number | null;
  windowSeconds(windows: UsageWindows): number;
  used(usage: Usage): number;
  resetAt(windows: UsageWindows): number;
}[] = [
  {
    name: 'requests',
    quota: (limits) => limits.requestsPerMinute,
    windowSeconds: (windows) => windows.requestsSeconds,
    used: (usage) => usage.requests,
    resetAt: (windows) => windows.requestsResetAt,
  },
  {
    name: 'rows-day',
    quota: (limits) => limits.rowsPerDay,
    windowSeconds: () => DAY_SECONDS,
    used: (usage) => usage.rowsToday,
    resetAt: (windows) => windows.dayResetAt,
  },
  {
    name: 'rows-month',
    quota: (limits) => limits.rowsPerMonth,
    windowSeconds: () => MONTH_SECONDS,
    used: (usage) => usage.rowsThisMonth,
    resetAt: (windows) => windows.monthResetAt,
  },
];

/** The limits' `RateLimit-Policy`, made once per limits object; null when there is no limit. */
function policyOf(limits: CallerLimits, windows: UsageWindows): string | null {
  const known = policies.get(limits);
  if (known !== undefined) return known;
  const items: string[] = [];
  for (const limit of LIMITS) {
    const quota = limit.quota(limits);
    if (quota !== null) items.push(`"${limit.name}";q=${quota};w=${limit.windowSeconds(windows)}`);
  }
  if (items.length === 0) return null;
  const policy = items.join(', ');
  policies.set(limits, policy);
  return policy;
}

/** Whole seconds until `at`, at least 1: what Retry-After and `t` carry. */
export function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}
