import {
  JOB_CANCEL_EXCHANGE,
  JOB_QUEUE_OPTIONS,
  type JobChunk,
  type JobChunkResult,
  jobQueue,
} from '@mlapi/contracts';
import { connectAny, ensureFanoutExchanges, type Logger, type TlsMaterial } from '@mlapi/rpc';
import type { Tracer } from '@opentelemetry/api';
import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { InferenceModel } from './batch-predictor.js';
import type { InteractiveGate } from './interactive-gate.js';
import { chunkResults, type PackedChunks, packChunk } from './job-rows.js';
import { JobSpans } from './job-spans.js';
import type { WorkerMetrics } from './metrics.js';

export interface JobConsumerOptions {
  /** AMQP_URL: one URL or a comma-separated list of nodes. */
  url: string;
  /** For amqps://: CA and client certificate; null: none. */
  tls?: TlsMaterial | null;
  model: InferenceModel;
  /** Waited on before every inference, so interactive batches go first. */
  gate: InteractiveGate;
  /** Chunks taken at once and inferred as one batch (JOB_PREFETCH). */
  prefetch: number;
  /** Rows in one session.run; the gate is checked between runs. */
  batchMaxRows: number;
  connectionName: string;
  logger: Logger;
  metrics: WorkerMetrics | null;
  /** Default `mlapi.<name>.<version>.jobs`. */
  queue?: string;
  reconnectMs?: number;
  /** Traces the chunks of sampled submits (see JobSpans); null (the default): off. */
  tracer?: Tracer | null;
}

/** A chunk taken from the queue, read, and not for a cancelled job. */
interface TakenChunk {
  readonly channel: ConfirmChannel;
  readonly msg: ConsumeMessage;
  readonly chunk: JobChunk;
}

/** Cancelled job ids remembered; a job's chunks arrive close together, so a few thousand do. */
const CANCELLED_MEMORY = 4096;

/**
 * Consumes a model version's job queue: takes up to `prefetch` chunks, skips those of cancelled
 * jobs without inferring them, infers the rest as one batch (waiting on interactive traffic
 * between runs), publishes each chunk's outcome to its results queue with a publisher confirm,
 * and only then acks it. A worker killed mid-batch leaves its chunks unacked: the broker hands
 * them to another worker, and the gateway's store counts each chunk once.
 */
export class JobConsumer {
  readonly #o: JobConsumerOptions & { queue: string; reconnectMs: number; tracer: Tracer | null };
  readonly #cancelled = new Set<string>();
  #connection: ChannelModel | null = null;
  #pending: { channel: ConfirmChannel; msg: ConsumeMessage }[] = [];
  #running: Promise<void> | null = null;
  #stopping = false;
  #retry: NodeJS.Timeout | undefined;
  #rowsInferred = 0;

  constructor(options: JobConsumerOptions) {
    const { spec } = options.model;
    this.#o = {
      queue: jobQueue(spec.name, spec.version),
      reconnectMs: 1000,
      tracer: null,
      ...options,
    };
  }

  get queue(): string {
    return this.#o.queue;
  }

  /** Rows inferred for jobs since start. */
  get rowsInferred(): number {
    return this.#rowsInferred;
  }

  async start(): Promise<void> {
    const connection = await connectAny(this.#o.url, {
      connectionName: `${this.#o.connectionName} jobs`,
      tls: this.#o.tls ?? null,
    });
    connection.on('error', (err) => this.#o.logger.warn({ err }, 'job connection error'));
    connection.on('close', () => {
      if (this.#connection !== connection) return;
      this.#connection = null;
      if (!this.#stopping) this.#reconnect();
    });
    const channel = await connection.createConfirmChannel();
    channel.on('error', (err) => this.#o.logger.warn({ err }, 'job channel error'));
    // Declared by the deployment (or the first process on a fresh broker): checked here.
    await ensureFanoutExchanges(connection, [JOB_CANCEL_EXCHANGE]);
    // A queue of this worker's own hears every cancellation while the worker lives.
    const { queue: cancels } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(cancels, JOB_CANCEL_EXCHANGE, '');
    await channel.consume(cancels, (msg) => msg && this.#onCancel(msg), { noAck: true });
    await channel.assertQueue(this.#o.queue, JOB_QUEUE_OPTIONS);
    await channel.prefetch(this.#o.prefetch);
    await channel.consume(this.#o.queue, (msg) => {
      if (msg === null) return;
      this.#pending.push({ channel, msg });
      this.#running ??= this.#drain().finally(() => {
        this.#running = null;
      });
    });
    this.#connection = connection;
  }

  /** Stops taking chunks, finishes the batch in progress, then disconnects. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#retry);
    await this.#running;
    const connection = this.#connection;
    this.#connection = null;
    await connection?.close().catch(() => {});
  }

  #reconnect(): void {
    this.#pending = [];
    this.#retry = setTimeout(() => {
      this.start().catch((err) => {
        this.#o.logger.warn({ err }, 'job queue reconnect failed');
        if (!this.#stopping) this.#reconnect();
      });
    }, this.#o.reconnectMs);
  }

  #onCancel(msg: ConsumeMessage): void {
    try {
      const { job_id } = JSON.parse(msg.content.toString()) as { job_id: string };
      this.#cancelled.add(job_id);
      if (this.#cancelled.size > CANCELLED_MEMORY) {
        const oldest = this.#cancelled.values().next().value;
        if (oldest !== undefined) this.#cancelled.delete(oldest);
      }
    } catch {
      // Not ours to understand: nothing to skip.
    }
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#o.prefetch);
      try {
        await this.#process(batch);
      } catch (err) {
        // The channel died under us: its unacked chunks go back to the queue by themselves.
        this.#o.logger.warn({ err, chunks: batch.length }, 'job batch abandoned');
      }
    }
  }

  async #process(batch: { channel: ConfirmChannel; msg: ConsumeMessage }[]): Promise<void> {
    const { model, metrics } = this.#o;
    const todo: TakenChunk[] = [];
    for (const item of batch) {
      let chunk: JobChunk;
      try {
        chunk = JSON.parse(item.msg.content.toString()) as JobChunk;
      } catch {
        this.#o.logger.error({ queue: this.#o.queue }, 'unreadable job chunk dropped');
        item.channel.ack(item.msg);
        continue;
      }
      if (this.#cancelled.has(chunk.job_id)) {
        metrics?.countJobChunkSkipped();
        item.channel.ack(item.msg);
        continue;
      }
      todo.push({ ...item, chunk });
    }
    if (todo.length === 0) return;
    const packed = packChunk(
      todo.map((t) => t.chunk),
      model.spec.width,
    );
    const tracer = this.#o.tracer;
    const spans =
      tracer === null
        ? null
        : JobSpans.open(
            tracer,
            packed,
            todo.map((t) => t.msg.properties.headers),
            this.#o.queue,
          );
    try {
      await this.#infer(packed, todo, spans);
    } catch (err) {
      // A run that threw, or a channel gone before the acks: the chunks go back to the queue.
      spans?.end(true);
      throw err;
    }
    spans?.end(false);
  }

  /** Infers the packed chunks, then publishes each outcome and acks the chunks once confirmed. */
  async #infer(
    packed: PackedChunks,
    todo: readonly TakenChunk[],
    spans: JobSpans | null,
  ): Promise<void> {
    const { model, gate, batchMaxRows, metrics } = this.#o;
    const { width, classes } = model.spec;
    const output = new Float32Array(packed.rows * classes);
    for (let first = 0; first < packed.rows; first += batchMaxRows) {
      await gate.idle();
      const count = Math.min(batchMaxRows, packed.rows - first);
      const input = packed.input.subarray(first * width, (first + count) * width);
      const started = process.hrtime.bigint();
      spans?.runStarted(first, count);
      output.set(await model.run(input, count), first * classes);
      spans?.runEnded();
      metrics?.observeRun(Number(process.hrtime.bigint() - started) / 1e9, count);
    }
    this.#rowsInferred += packed.rows;
    metrics?.countJobRows(packed.rows);
    const results = chunkResults(packed, output, model.spec);
    for (const [i, { channel, chunk }] of todo.entries()) {
      const result = results[i] as JobChunkResult;
      channel.sendToQueue(chunk.reply_to, Buffer.from(JSON.stringify(result)), {
        persistent: true,
        contentType: 'application/json',
      });
    }
    // Acked only once every result is safely with the broker.
    const channels = new Set(todo.map((t) => t.channel));
    for (const channel of channels) await channel.waitForConfirms();
    for (const { channel, msg } of todo) channel.ack(msg);
  }
}
