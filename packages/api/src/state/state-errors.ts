import { ApiError } from '../errors.js';

/** Seconds a caller is asked to wait when the state Redis is full: an operator must act. */
const FULL_RETRY_AFTER_SECONDS = 30;

/**
 * True for the error a Redis at its `maxmemory` under `noeviction` answers to a write (a reply
 * starting with "OOM", for a plain command and for a script alike). Reads still succeed then.
 */
export function isRedisOutOfMemory(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const message = (err as { message?: unknown }).message;
  return typeof message === 'string' && message.startsWith('OOM ');
}

/**
 * The answer to a failed write of durable state (`what`: "the traffic policy", "the API key",
 * "the job", ...): a full state Redis is 503 UNAVAILABLE saying so, with the OOM reply as its
 * cause (the gateway counts those in state_redis_writes_refused_total); any other failure is
 * 503 UNAVAILABLE for an unreachable store. Existing state is untouched either way.
 */
export function stateWriteError(err: unknown, what: string): ApiError {
  if (isRedisOutOfMemory(err)) {
    return new ApiError(
      'UNAVAILABLE',
      `the state store is full: ${what} was not stored; existing state still works. ` +
        'An operator must grow the state Redis or remove what it holds',
      { cause: err, retryAfterSeconds: FULL_RETRY_AFTER_SECONDS },
    );
  }
  return new ApiError('UNAVAILABLE', `the state store cannot be reached: ${what} was not stored`, {
    cause: err,
  });
}
