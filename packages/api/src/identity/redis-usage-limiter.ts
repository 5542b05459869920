import type { RedisClient } from '../redis-client.js';
import type { CallerLimits } from './key-record.js';
import {
  counterKeys,
  EXPIRY_SLACK_MS,
  type LimitDecision,
  REFUSAL_BY_CODE,
  type Usage,
  type UsageLimiter,
} from './usage-limiter.js';
import type { UsageWindows } from './usage-windows.js';

// One round trip: read the three counters, refuse without writing when any limit would be
// passed, else count the request (unless ARGV[8] is '0': rows only) and its rows. Limits of -1
// are none. Atomic in Redis, so 64 concurrent callers can never together pass a quota.
const CONSUME = `
local req = tonumber(redis.call('GET', KEYS[1]) or '0')
local day = tonumber(redis.call('GET', KEYS[2]) or '0')
local month = tonumber(redis.call('GET', KEYS[3]) or '0')
local rows = tonumber(ARGV[1])
local countReq = ARGV[8] == '1'
if countReq and tonumber(ARGV[2]) >= 0 and req + 1 > tonumber(ARGV[2]) then return {1, req, day, month} end
if tonumber(ARGV[3]) >= 0 and day + rows > tonumber(ARGV[3]) then return {2, req, day, month} end
if tonumber(ARGV[4]) >= 0 and month + rows > tonumber(ARGV[4]) then return {3, req, day, month} end
if countReq then
  req = redis.call('INCR', KEYS[1])
  if req == 1 then redis.call('PEXPIREAT', KEYS[1], ARGV[5]) end
end
if rows > 0 then
  day = redis.call('INCRBY', KEYS[2], rows)
  redis.call('PEXPIREAT', KEYS[2], ARGV[6])
  month = redis.call('INCRBY', KEYS[3], rows)
  redis.call('PEXPIREAT', KEYS[3], ARGV[7])
end
return {0, req, day, month}
`;

const REFUND = `
for i = 1, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('DECRBY', KEYS[i], ARGV[1]) end
end
return 0
`;

const limit = (value: number | null) => String(value ?? -1);

/** The shared limiter: counters in Redis, checked and consumed by one Lua script. */
export class RedisUsageLimiter implements UsageLimiter {
  readonly #redis: RedisClient;

  constructor(redis: RedisClient) {
    this.#redis = redis;
  }

  async consume(
    subject: string,
    limits: CallerLimits,
    rows: number,
    windows: UsageWindows,
    countRequest = true,
  ): Promise<LimitDecision> {
    const reply = await this.#redis.eval(CONSUME, {
      keys: counterKeys(subject, windows),
      arguments: [
        String(rows),
        limit(limits.requestsPerMinute),
        limit(limits.rowsPerDay),
        limit(limits.rowsPerMonth),
        String(windows.requestsResetAt + EXPIRY_SLACK_MS),
        String(windows.dayResetAt + EXPIRY_SLACK_MS),
        String(windows.monthResetAt + EXPIRY_SLACK_MS),
        countRequest ? '1' : '0',
      ],
    });
    const [code, requests, rowsToday, rowsThisMonth] = Array.isArray(reply) ? reply : [];
    if (
      typeof code !== 'number' ||
      typeof requests !== 'number' ||
      typeof rowsToday !== 'number' ||
      typeof rowsThisMonth !== 'number'
    ) {
      throw new Error('unexpected reply from the usage script');
    }
    return {
      refusal: REFUSAL_BY_CODE[code] ?? null,
      usage: { requests, rowsToday, rowsThisMonth },
    };
  }

  async refund(subject: string, rows: number, windows: UsageWindows): Promise<void> {
    const [, day, month] = counterKeys(subject, windows);
    await this.#redis.eval(REFUND, { keys: [day, month], arguments: [String(rows)] });
  }

  async usage(subject: string, windows: UsageWindows): Promise<Usage> {
    const values = await this.#redis.mGet(counterKeys(subject, windows));
    const n = (v: unknown) => (typeof v === 'string' ? Number(v) : 0);
    return { requests: n(values[0]), rowsToday: n(values[1]), rowsThisMonth: n(values[2]) };
  }
}
