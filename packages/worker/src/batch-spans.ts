import type { RpcBatchItem } from '@mlapi/rpc';
import {
  type Context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/**
 * The context a message's headers carry (`traceparent`, `tracestate`) when its sender sampled it,
 * else null: an untraced or unsampled message costs no span here.
 */
export function sampledContext(
  headers: Readonly<Record<string, unknown>> | undefined,
): Context | null {
  if (typeof headers?.traceparent !== 'string') return null;
  const remote = propagation.extract(ROOT_CONTEXT, headers);
  const spanContext = trace.getSpanContext(remote);
  if (spanContext === undefined || (spanContext.traceFlags & TraceFlags.SAMPLED) === 0) return null;
  return remote;
}

/**
 * The spans of one batch on the worker. Each message that arrived with a sampled traceparent
 * gets a `queue wait` span (from its publish time to the start of the batch) in its own trace;
 * the batch is one `batch` span, a child of the first traced message's context, linking every
 * traced message; each `session.run` is a child of the batch. Messages without a traceparent
 * make no spans: the worker's spans only continue a gateway's trace.
 */
export class BatchSpans {
  readonly #tracer: Tracer;
  readonly #batch: Span;
  readonly #context: Context;

  private constructor(tracer: Tracer, batch: Span, context: Context) {
    this.#tracer = tracer;
    this.#batch = batch;
    this.#context = context;
  }

  /** Opens the batch's spans, or null when no message of the batch is traced. */
  static open(
    tracer: Tracer,
    items: readonly RpcBatchItem<unknown>[],
    queue: string,
  ): BatchSpans | null {
    let parent: Context | null = null;
    const links: Link[] = [];
    const now = Date.now();
    for (const { context } of items) {
      const remote = sampledContext(context.headers);
      if (remote === null) continue;
      links.push({
        context: trace.getSpanContext(remote) as SpanContext,
        attributes: { 'messaging.message.id': context.requestId },
      });
      parent ??= remote;
      if (context.publishedAt !== undefined) {
        tracer
          .startSpan(
            'queue wait',
            {
              kind: SpanKind.CONSUMER,
              startTime: Math.min(context.publishedAt, now),
              attributes: {
                'messaging.system': 'rabbitmq',
                'messaging.destination.name': queue,
                'messaging.message.id': context.requestId,
              },
            },
            remote,
          )
          .end(now);
      }
    }
    if (parent === null) return null;
    const batch = tracer.startSpan(
      'batch',
      { links, attributes: { 'mlapi.batch.messages': items.length } },
      parent,
    );
    if (!batch.isRecording()) return null;
    return new BatchSpans(tracer, batch, trace.setSpan(parent, batch));
  }

  /** A `session.run` span under the batch; the caller ends it. */
  run(rows: number): Span {
    return this.#tracer.startSpan(
      'session.run',
      { attributes: { 'mlapi.rows': rows } },
      this.#context,
    );
  }

  end(rows: number, failed: boolean): void {
    this.#batch.setAttribute('mlapi.batch.rows', rows);
    if (failed) this.#batch.setStatus({ code: SpanStatusCode.ERROR });
    this.#batch.end();
  }
}
