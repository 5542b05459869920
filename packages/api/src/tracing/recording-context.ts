import type { Context } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';

/**
 * The context of the request's span (from @fastify/otel) when that span is being recorded
 * (sampled), else null: an unsampled request then costs no span objects, attributes or header
 * injection of ours at all. A message sent without a traceparent makes no spans on the worker
 * either (its spans only continue ours).
 *
 * Read from the request, never from `context.active()`: no context manager is installed
 * (startTracing in @mlapi/contracts), so the active context is always the root one. Tracing off,
 * the plugin is not registered and `request.opentelemetry` does not exist: one property read.
 */
export function recordingContext(request: FastifyRequest): Context | null {
  // Declared always present by @fastify/otel's types; it is only there when the plugin is.
  const otel = (request as Partial<Pick<FastifyRequest, 'opentelemetry'>>).opentelemetry?.();
  // The span is null on a route @fastify/otel ignores, and once the response is sent.
  if (otel?.span?.isRecording() !== true) return null;
  return otel.context;
}
