import { TraceFlags, trace } from '@opentelemetry/api';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { TIMEOUT_HEADER } from './deadline.js';
import type { ApiError } from './errors.js';

/**
 * How a request that was not served is logged. A log line is for an operator, so its level
 * says whether anyone should act, and a stack trace appears only where there is a bug to find:
 * - INTERNAL: `error`, with the original error and its stack (the only stacks we log).
 * - The caller's own doing, all the 4xx (BAD_INPUT, UNKNOWN_MODEL, RATE_LIMITED, ...), and a
 *   TIMEOUT under a deadline the caller chose: `info`. A client asking for 1 ms and getting a
 *   504 is the system working, not an incident.
 * - Capacity and reachability (OVERLOADED, UNAVAILABLE, TIMEOUT under the server's default
 *   deadline): `warn`, without a stack; `reason` keeps the underlying cause's message.
 * Every line carries `code` and `status`; `request_id` is bound by request.log.
 */
export function logUnserved(request: FastifyRequest, error: ApiError, thrown: unknown): void {
  const log = request.log;
  const fields: Record<string, unknown> = { code: error.code, status: error.statusCode };
  if (error.code === 'INTERNAL') {
    log.error({ ...fields, err: thrown }, error.message);
  } else if (error.statusCode < 500 || (error.code === 'TIMEOUT' && callerChoseDeadline(request))) {
    log.info(fields, error.message);
  } else {
    const cause = error.cause instanceof Error ? error.cause.message : undefined;
    if (cause !== undefined && cause !== error.message) fields.reason = cause;
    log.warn(fields, error.message);
  }
}

/** The request set its own deadline: the timeout header, or V2's `parameters.timeout_ms`. */
function callerChoseDeadline(request: FastifyRequest): boolean {
  if (request.headers[TIMEOUT_HEADER] !== undefined) return true;
  const body = request.body as { parameters?: { timeout_ms?: unknown } } | null | undefined;
  return typeof body?.parameters?.timeout_ms === 'number';
}

/**
 * A client that hangs up before its answer is the client's choice: one `info` line. The code is
 * for logs only (no one is left to receive an HTTP status), named after nginx's 499.
 */
export function logClientClosed(log: FastifyBaseLogger): void {
  log.info({ code: 'CLIENT_CLOSED' }, 'the client closed the connection before the answer');
}

/**
 * A request slower than SLOW_REQUEST_MS: one `info` line with its route, status and time, and,
 * when the request was traced (sampled), its `trace_id`, so a p99 seen in Grafana leads to the
 * trace that shows where the time went (gateway, queue, batch, inference).
 */
export function logSlow(
  request: FastifyRequest,
  route: string,
  status: number,
  ms: number,
  tracing: boolean,
): void {
  const fields: Record<string, unknown> = { route, status, ms: Math.round(ms) };
  if (tracing) {
    // The request span is ended (and dropped) by the time onResponse runs; its context stays.
    const otel = request.opentelemetry?.().context;
    const context = otel == null ? undefined : trace.getSpanContext(otel);
    if (context !== undefined && (context.traceFlags & TraceFlags.SAMPLED) !== 0) {
      fields.trace_id = context.traceId;
    }
  }
  request.log.info(fields, 'slow request');
}
