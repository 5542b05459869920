/** The three windows a caller's limits count in, at one instant (all UTC). */
export interface UsageWindows {
  /** Suffixes of the counters' names: one counter per caller per window. */
  readonly requestsId: string;
  readonly dayId: string;
  readonly monthId: string;
  /** When each window ends, epoch ms. */
  readonly requestsResetAt: number;
  readonly dayResetAt: number;
  readonly monthResetAt: number;
  /** Window lengths in seconds, for RateLimit-Policy (a month is stated as 30 days). */
  readonly requestsSeconds: number;
}

export const DAY_SECONDS = 86_400;
export const MONTH_SECONDS = 30 * DAY_SECONDS;

/**
 * Fixed windows: requests per `requestWindowMs` (a minute unless configured otherwise), rows
 * per calendar day and per calendar month. Fixed windows reset for everyone at the same time,
 * which is what "rows per day" means to the people who buy them.
 */
export function usageWindows(now: number, requestWindowMs: number): UsageWindows {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  const day = date.getUTCDate();
  const requestsIndex = Math.floor(now / requestWindowMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    requestsId: `r${requestWindowMs}:${requestsIndex}`,
    dayId: `d:${year}${pad(month + 1)}${pad(day)}`,
    monthId: `m:${year}${pad(month + 1)}`,
    requestsResetAt: (requestsIndex + 1) * requestWindowMs,
    dayResetAt: Date.UTC(year, month, day + 1),
    monthResetAt: Date.UTC(year, month + 1, 1),
    requestsSeconds: Math.max(1, Math.round(requestWindowMs / 1000)),
  };
}

/**
 * usageWindows() for a request path: the same object until the request window or the day ends,
 * so a request pays no date arithmetic. A clock that steps back recomputes.
 */
export function usageWindowsClock(requestWindowMs: number): (now: number) => UsageWindows {
  let last: UsageWindows | null = null;
  let from = 0;
  return (now) => {
    if (last === null || now < from || now >= Math.min(last.requestsResetAt, last.dayResetAt)) {
      last = usageWindows(now, requestWindowMs);
      // UTC days are all 86,400,000 ms long.
      from = Math.max(last.requestsResetAt - requestWindowMs, last.dayResetAt - DAY_SECONDS * 1000);
    }
    return last;
  };
}
