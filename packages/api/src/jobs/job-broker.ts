import {
  JOB_CANCEL_EXCHANGE,
  JOB_CHUNK_METHOD,
  JOB_QUEUE_OPTIONS,
  JOB_RESULTS_QUEUE,
  type JobChunk,
  type JobChunkResult,
} from '@mlapi/contracts';
import { connectAny, ensureFanoutExchanges, ensureQueue, type TlsMaterial } from '@mlapi/rpc';
import type { Context, Tracer } from '@opentelemetry/api';
import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import { ApiError } from '../errors.js';
import { type TraceHeaders, tracedPublish } from '../tracing/gateway-tracer.js';

export interface JobBrokerOptions {
  /** AMQP_URL: one URL or a comma-separated list of nodes. */
  url: string;
  /** For amqps://: CA and client certificate; null: none. */
  tls?: TlsMaterial | null;
  connectionName: string;
  logger: Logger;
  /** Results taken from the broker at once before one is acked. */
  resultPrefetch: number;
  /** The durable queue results come back on. Default JOB_RESULTS_QUEUE; tests use their own. */
  resultsQueue?: string;
  /** Delay before reconnecting after the connection is lost, ms. */
  reconnectMs?: number;
  /** Traces the chunk publishes of sampled submits; null (the default): tracing off. */
  tracer?: Tracer | null;
}

/** Records one chunk result; resolves once it is stored (then the message is acked). */
export type ResultHandler = (result: JobChunkResult) => Promise<void>;

/**
 * The gateway's side of the job flow on its own AMQP connection: publishes chunks (persistent,
 * confirmed) to the durable job queues, broadcasts cancellations, and consumes the results
 * queue, acking a result only after it is stored, so a gateway killed mid-job loses nothing:
 * unacked results go back to the queue for another replica (or this one, restarted).
 */
export class JobBroker {
  readonly #o: Required<JobBrokerOptions>;
  #connection: ChannelModel | null = null;
  #channel: ConfirmChannel | null = null;
  #connecting: Promise<ConfirmChannel> | null = null;
  readonly #declared = new Set<string>();
  #handler: ResultHandler | null = null;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;

  constructor(options: JobBrokerOptions) {
    this.#o = {
      reconnectMs: 1000,
      resultsQueue: JOB_RESULTS_QUEUE,
      tls: null,
      tracer: null,
      ...options,
    };
  }

  /** Connects and starts consuming results with `handler`. */
  async start(handler: ResultHandler): Promise<void> {
    this.#handler = handler;
    await this.#channelNow();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const connection = this.#connection;
    this.#connection = null;
    this.#channel = null;
    await connection?.close().catch(() => {});
  }

  get resultsQueue(): string {
    return this.#o.resultsQueue;
  }

  /**
   * Publishes a chunk and resolves when the broker has it on disk (publisher confirm). `parent`:
   * the submit request's context when it is sampled, else null. A sampled chunk's publish is a
   * `publish job chunk` PRODUCER span under it, until the confirm, whose context the chunk
   * carries in its AMQP headers (`traceparent`, `tracestate`) so the worker's spans continue it.
   */
  publishChunk(
    queue: string,
    chunk: JobChunk,
    requestId: string,
    parent: Context | null = null,
  ): Promise<void> {
    const tracer = this.#o.tracer;
    if (tracer === null || parent === null) return this.#publish(queue, chunk, requestId);
    const attributes = {
      'messaging.system': 'rabbitmq',
      'messaging.destination.name': queue,
      'messaging.operation.type': 'send',
      'messaging.message.id': `${chunk.job_id}:${chunk.chunk}`,
      'mlapi.job.id': chunk.job_id,
      'mlapi.job.chunk': chunk.chunk,
      'mlapi.rows': chunk.inputs.length,
    };
    return tracedPublish(tracer, parent, 'publish job chunk', attributes, (trace) =>
      this.#publish(queue, chunk, requestId, trace),
    );
  }

  async #publish(
    queue: string,
    chunk: JobChunk,
    requestId: string,
    trace?: TraceHeaders,
  ): Promise<void> {
    const channel = await this.#channelNow();
    if (!this.#declared.has(queue)) {
      // The model's workers declare their job queue; the gateway declares it only when no worker
      // has yet (a broker where it may).
      if (this.#connection === null) throw unavailable('the job broker is not connected');
      await ensureQueue(this.#connection, queue, JOB_QUEUE_OPTIONS);
      this.#declared.add(queue);
    }
    await new Promise<void>((resolve, reject) => {
      channel.sendToQueue(
        queue,
        Buffer.from(JSON.stringify(chunk)),
        {
          persistent: true,
          contentType: 'application/json',
          type: JOB_CHUNK_METHOD,
          messageId: `${chunk.job_id}:${chunk.chunk}`,
          correlationId: requestId,
          timestamp: Math.floor(Date.now() / 1000),
          ...(trace?.traceparent !== undefined ? { headers: { ...trace } } : {}),
        },
        (err) => (err ? reject(unavailable('the broker refused a job chunk', err)) : resolve()),
      );
    });
  }

  /** Tells every worker to skip the job's remaining chunks. */
  async cancel(jobId: string): Promise<void> {
    const channel = await this.#channelNow();
    await new Promise<void>((resolve, reject) => {
      channel.publish(
        JOB_CANCEL_EXCHANGE,
        '',
        Buffer.from(JSON.stringify({ job_id: jobId })),
        {},
        (err) => (err ? reject(unavailable('cannot announce the cancellation', err)) : resolve()),
      );
    });
  }

  #channelNow(): Promise<ConfirmChannel> {
    if (this.#closed) return Promise.reject(unavailable('the job broker is closed'));
    if (this.#channel !== null) return Promise.resolve(this.#channel);
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #open(): Promise<ConfirmChannel> {
    let connection: ChannelModel;
    try {
      connection = await connectAny(this.#o.url, {
        connectionName: this.#o.connectionName,
        tls: this.#o.tls,
      });
    } catch (err) {
      this.#scheduleReconnect();
      throw unavailable('cannot reach the broker', err);
    }
    connection.on('error', (err) => this.#o.logger.warn({ err }, 'job broker connection error'));
    const channel = await connection.createConfirmChannel();
    channel.on('error', (err) => this.#o.logger.warn({ err }, 'job broker channel error'));
    // Shared objects: checked, declared only when missing (a declare needs configure rights).
    await ensureFanoutExchanges(connection, [JOB_CANCEL_EXCHANGE]);
    await ensureQueue(connection, this.#o.resultsQueue, JOB_QUEUE_OPTIONS);
    await channel.prefetch(this.#o.resultPrefetch);
    if (this.#handler !== null) {
      const handler = this.#handler;
      await channel.consume(this.#o.resultsQueue, (msg) => {
        if (msg !== null) void this.#onResult(channel, msg, handler);
      });
    }
    const lost = () => {
      if (this.#connection !== connection) return;
      this.#connection = null;
      this.#channel = null;
      this.#declared.clear();
      this.#scheduleReconnect();
    };
    connection.on('close', lost);
    channel.on('close', () => {
      if (this.#connection === connection) void connection.close().catch(() => {});
      lost();
    });
    this.#connection = connection;
    this.#channel = channel;
    return channel;
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#handler === null) return;
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => {
      this.#channelNow().catch((err) =>
        this.#o.logger.debug({ err }, 'job broker reconnect failed'),
      );
    }, this.#o.reconnectMs);
  }

  async #onResult(channel: ConfirmChannel, msg: ConsumeMessage, handler: ResultHandler) {
    let result: JobChunkResult;
    try {
      result = JSON.parse(msg.content.toString()) as JobChunkResult;
    } catch (err) {
      this.#o.logger.error({ err }, 'unreadable job result dropped');
      channel.ack(msg);
      return;
    }
    try {
      await handler(result);
      channel.ack(msg);
    } catch (err) {
      // Not stored (the store is down?): give it back after a pause rather than spin on it.
      this.#o.logger.warn({ err, job_id: result.job_id }, 'job result not recorded; requeued');
      setTimeout(() => {
        try {
          channel.nack(msg, false, true);
        } catch {
          // The channel is gone; the broker requeues unacked messages by itself.
        }
      }, this.#o.reconnectMs);
    }
  }
}

function unavailable(message: string, cause?: unknown): ApiError {
  return new ApiError('UNAVAILABLE', message, cause === undefined ? {} : { cause });
}
