import {
  type Attributes,
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
 * Opens a PRODUCER span `name` under `parent` and returns it with the W3C headers that carry its
 * context in the message, so the consumer's spans hang under it.
 */
function startProducer(
  tracer: Tracer,
  parent: Context,
  name: string,
  attributes: Attributes,
  links: Link[],
): { span: Span; headers: TraceHeaders } {
  const span = tracer.startSpan(name, { kind: SpanKind.PRODUCER, links, attributes }, parent);
  const headers: TraceHeaders = {};
  propagation.inject(trace.setSpan(parent, span), headers);
  return { span, headers };
}

/** Calls `call`, turning a synchronous throw into a rejection. */
function settled<T>(call: () => Promise<T>): Promise<T> {
  try {
    return call();
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * One confirmed publish as one PRODUCER span under `parent`, ended when `publish` settles (for
 * a publisher confirm: when the broker has the message); its context travels in the headers.
 */
export function tracedPublish<T>(
  tracer: Tracer,
  parent: Context,
  name: string,
  attributes: Attributes,
  publish: (headers: TraceHeaders) => Promise<T>,
): Promise<T> {
  const { span, headers } = startProducer(tracer, parent, name, attributes, []);
  const promise = settled(() => publish(headers));
  endWith(span, promise);
  return promise;
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
  const { span: publish, headers } = startProducer(
    tracer,
    parent,
    'publish',
    {
      'messaging.system': 'rabbitmq',
      'messaging.destination.name': queue,
      'messaging.operation.type': 'send',
      'mlapi.coalesced_requests': links.length + 1,
    },
    links,
  );
  const promise = settled(() => call(headers));
  publish.end();
  const wait = tracer.startSpan(
    'reply wait',
    { links, attributes: { 'messaging.destination.name': queue } },
    parent,
  );
  endWith(wait, promise);
  return promise;
}

/**
 * A `coalescing wait` span under `parent`: `identical` waits on an identical call already in
 * flight, `batch` in the coalescer until its message leaves. The caller ends it.
 */
export function startCoalescingWait(
  tracer: Tracer,
  parent: Context,
  kind: 'identical' | 'batch',
): Span {
  return tracer.startSpan(
    'coalescing wait',
    { attributes: { 'mlapi.coalesce.kind': kind } },
    parent,
  );
}

/** A `cache lookup` span under `parent` around `lookup`, saying whether it hit. */
export function tracedLookup<T>(
  tracer: Tracer,
  parent: Context,
  lookup: () => Promise<T | undefined>,
): Promise<T | undefined> {
  const span = tracer.startSpan('cache lookup', {}, parent);
  const found = settled(lookup);
  // Registered first, so the attribute is on the span before endWith ends it.
  found.then(
    (hit) => span.setAttribute('mlapi.cache.hit', hit !== undefined),
    () => {},
  );
  endWith(span, found);
  return found;
}
