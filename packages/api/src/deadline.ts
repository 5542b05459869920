import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from './errors.js';

export const TIMEOUT_HEADER = 'x-request-timeout-ms';

/**
 * The absolute deadline of a request: the server default, which a caller may lower (header
 * or V2 parameter, whichever is smaller), capped by the maximum.
 */
export function resolveDeadline(
  now: number,
  header: string | string[] | undefined,
  parameterMs: number | undefined,
  defaultMs: number,
  maxMs: number,
): number {
  let ms = defaultMs;
  if (header !== undefined) {
    if (typeof header !== 'string' || !/^\d{1,10}$/.test(header) || Number(header) < 1) {
      throw new ApiError('BAD_INPUT', `${TIMEOUT_HEADER} must be a positive integer`);
    }
    ms = Number(header);
  }
  if (parameterMs !== undefined) ms = Math.min(ms, parameterMs);
  return now + Math.min(ms, maxMs);
}

/** The deadline of an HTTP request: its timeout header (and a V2 parameter) within the limits. */
export function requestDeadline(
  headers: IncomingHttpHeaders,
  limits: { readonly deadlineDefaultMs: number; readonly deadlineMaxMs: number },
  parameterMs?: number,
): number {
  return resolveDeadline(
    Date.now(),
    headers[TIMEOUT_HEADER],
    parameterMs,
    limits.deadlineDefaultMs,
    limits.deadlineMaxMs,
  );
}
