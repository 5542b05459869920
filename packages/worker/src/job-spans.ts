import type { JobChunk } from '@mlapi/contracts';
import {
  type Context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { sampledContext } from './batch-spans.js';
import type { PackedChunks } from './job-rows.js';

/** One traced chunk: its span and where its rows lie in the packed batch. */
interface TracedChunk {
  readonly span: Span;
  /** The span's context: its `session.run` spans' parent. */
  readonly context: Context;
  /** Row offset in the packed input, or -1 for a chunk that failed validation. */
  readonly start: number;
  readonly rows: number;
}

/**
 * The spans of one batch of job chunks on the worker. Each chunk that arrived with a sampled
 * traceparent (a sampled submit's `publish job chunk`) gets a `job chunk` CONSUMER span under
 * it, from the start of the batch until its result is confirmed and it is acked; each
 * `session.run` that infers some of its rows is a `session.run` child of it. A run shared by
 * several traced chunks appears under each (with the chunk's share of its rows), since chunks
 * of different jobs, in different traces, may share a run. Chunks without a sampled traceparent
 * make no spans.
 */
export class JobSpans {
  readonly #tracer: Tracer;
  readonly #chunks: readonly TracedChunk[];
  #runs: Span[] = [];

  private constructor(tracer: Tracer, chunks: readonly TracedChunk[]) {
    this.#tracer = tracer;
    this.#chunks = chunks;
  }

  /**
   * Opens the spans of a packed batch; `headers[i]` are the AMQP headers of `packed.chunks[i]`.
   * Null when no chunk of the batch is traced.
   */
  static open(
    tracer: Tracer,
    packed: PackedChunks,
    headers: readonly (Readonly<Record<string, unknown>> | undefined)[],
    queue: string,
  ): JobSpans | null {
    const chunks: TracedChunk[] = [];
    for (const [i, chunk] of packed.chunks.entries()) {
      const parent = sampledContext(headers[i]);
      if (parent === null) continue;
      const rows = Array.isArray(chunk.inputs) ? chunk.inputs.length : 0;
      const span = tracer.startSpan(
        'job chunk',
        { kind: SpanKind.CONSUMER, attributes: chunkAttributes(chunk, queue, rows) },
        parent,
      );
      if (!span.isRecording()) continue;
      const error = packed.errors[i];
      if (error !== null && error !== undefined) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: error });
      }
      const context = trace.setSpan(parent, span);
      chunks.push({ span, context, start: packed.starts[i] ?? -1, rows });
    }
    return chunks.length === 0 ? null : new JobSpans(tracer, chunks);
  }

  /** Opens a `session.run` span under each traced chunk with rows in [first, first + count). */
  runStarted(first: number, count: number): void {
    const end = first + count;
    for (const chunk of this.#chunks) {
      if (chunk.start < 0) continue;
      const from = Math.max(first, chunk.start);
      const to = Math.min(end, chunk.start + chunk.rows);
      if (from >= to) continue;
      this.#runs.push(
        this.#tracer.startSpan(
          'session.run',
          { attributes: { 'mlapi.rows': count, 'mlapi.job.chunk_rows': to - from } },
          chunk.context,
        ),
      );
    }
  }

  /** Ends the spans runStarted opened. */
  runEnded(): void {
    for (const span of this.#runs) span.end();
    this.#runs = [];
  }

  /**
   * Ends every span still open; `failed`: the batch was abandoned (a run threw, or the channel
   * went before the acks), and its chunks go back to the queue.
   */
  end(failed: boolean): void {
    for (const span of this.#runs) {
      if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    this.#runs = [];
    for (const { span } of this.#chunks) {
      if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: 'batch abandoned' });
      span.end();
    }
  }
}

function chunkAttributes(chunk: JobChunk, queue: string, rows: number) {
  return {
    'messaging.system': 'rabbitmq',
    'messaging.destination.name': queue,
    'messaging.operation.type': 'process',
    'messaging.message.id': `${chunk.job_id}:${chunk.chunk}`,
    'mlapi.job.id': chunk.job_id,
    'mlapi.job.chunk': chunk.chunk,
    'mlapi.rows': rows,
  };
}
