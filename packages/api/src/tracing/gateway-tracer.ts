import {
  type Context,
  type Link,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/** The instrumentation scope of the gateway's own spans. */
export const GATEWAY_TRACER = 'mlapi-gateway';

export function gatewayTracer(): Tracer {
  return trace.getTracer(GATEWAY_TRACER);
}

/** The W3C trace headers of one broker message (`traceparent`, and `tracestate` if any). */
export interface TraceHeaders {
  traceparent?: string;
  tracestate?: string;
}

/** Ends a span when a promise settles, marking it an error on rejection. */
export function endWith(span: Span, promise: Promise<unknown>): void {
  promise.then(
    () => span.end(),
    (err: unknown) => {
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: err instanceof Error ? err.message : String(err),
      });
      span.end();
    },
  );
}

/**
 * One broker call as two spans: `publish` (a PRODUCER span whose context travels in the message
 * headers, so the worker's spans hang under it) and `reply wait`, until the answer or the error.
 * Both are children of `parent`, the (first) caller's request; `links` name the other callers
 * sharing a coalesced message.
 */
export function tracedCall<T>(
  tracer: Tracer,
  parent: Context,
  links: Link[],
  queue: string,
  call: (headers: TraceHeaders) => Promise<T>,
): Promise<T> {
  const attributes = {
    'messaging.system': 'rabbitmq',
    'messaging.destination.name': queue,
    'messaging.operation.type': 'send',
    'mlapi.coalesced_requests': links.length + 1,
  };
  const publish = tracer.startSpan(
    'publish',
    { kind: SpanKind.PRODUCER, links, attributes },
    parent,
  );
  const headers: TraceHeaders = {};
  propagation.inject(trace.setSpan(parent, publish), headers);
  let promise: Promise<T>;
  try {
    promise = call(headers);
  } catch (err) {
    promise = Promise.reject(err);
  }
  publish.end();
  const wait = tracer.startSpan(
    'reply wait',
    { links, attributes: { 'messaging.destination.name': queue } },
    parent,
  );
  endWith(wait, promise);
  return promise;
}
