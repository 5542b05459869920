/** The one command the store needs from a node-redis client. */
export interface RedisEval {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

type IncrCallback = (err: Error | null, result?: { current: number; ttl: number }) => void;

/** What @fastify/rate-limit calls on a custom store. */
export interface RateLimitStore {
  incr(key: string, callback: IncrCallback, timeWindow: number, max: number): void;
  child(routeOptions: unknown): RateLimitStore;
}

// INCR and the first PEXPIRE in one atomic step, so two replicas can never both see a fresh
// key without a TTL (a counter that would never reset).
const INCR_SCRIPT = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}
`;

const KEY_PREFIX = 'mlapi:v1:rl:';

/**
 * A @fastify/rate-limit store on node-redis, shared by every replica (the plugin's own Redis
 * store expects ioredis). It fails open: while Redis is down a request is let through and
 * `onError` counts it, because refusing all traffic when Redis is down would be worse.
 */
export function redisRateLimitStore(client: RedisEval, onError: (err: unknown) => void) {
  return class RedisRateLimitStore implements RateLimitStore {
    incr(key: string, callback: IncrCallback, timeWindow: number): void {
      client.eval(INCR_SCRIPT, { keys: [KEY_PREFIX + key], arguments: [String(timeWindow)] }).then(
        (reply) => {
          const [current, ttl] = Array.isArray(reply) ? reply : [];
          if (typeof current !== 'number' || typeof ttl !== 'number') {
            onError(new Error('unexpected rate-limit script reply'));
            callback(null, { current: 0, ttl: timeWindow });
            return;
          }
          callback(null, { current, ttl });
        },
        (err: unknown) => {
          onError(err);
          callback(null, { current: 0, ttl: timeWindow });
        },
      );
    }

    child(): RateLimitStore {
      return new RedisRateLimitStore();
    }
  };
}
