import { EventEmitter } from 'node:events';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { AckBatcher } from './ack-batcher.js';
import { AmqpConnection, backoffDelay, closeChannel } from './connection.js';
import type { ReplyEnvelope } from './envelope.js';
import { CONTENT_TYPE, encodeReply, toWireError } from './envelope.js';
import type { Logger } from './logger.js';
import { resolveLogger } from './logger.js';
import type { RpcServerMetrics } from './metrics.js';
import { declareModelQueue } from './model-queue.js';
import type { RpcServerOptions, ServerSettings } from './options.js';
import { normalizeServerOptions } from './options.js';
import type { RpcContext } from './rpc-context.js';
import { decodeMessage, type Held, type RpcBatchItem, type RpcOutcome } from './server-message.js';

export type { RpcBatchItem, RpcOutcome } from './server-message.js';

/**
 * The abstract RPC server. Subclasses implement handle(), and may override handleBatch() to take
 * several messages at once (dynamic batching).
 *
 * Every message is acked exactly once, after its reply was written, whatever it holds; a message
 * whose channel died before the ack is left to the broker, which redelivers it.
 *
 * Events: 'consuming', 'disconnect' (err), 'batch' ({size}).
 */
export abstract class RpcServer<TReq = unknown, TRes = unknown> extends EventEmitter {
  readonly #s: ServerSettings;
  readonly #log: Logger;
  #conn: AmqpConnection | null = null;
  #channel: Channel | null = null;
  #acks: AckBatcher | null = null;
  #consumerTag: string | null = null;
  #starting: Promise<void> | null = null;
  #stopping: Promise<void> | null = null;
  #setupTimer: NodeJS.Timeout | null = null;
  #setupAttempt = 0;
  #buffer: Held[] = [];
  #gather: NodeJS.Immediate | NodeJS.Timeout | null = null;
  #active = 0;
  #idle: Array<() => void> = [];
  readonly #m: RpcServerMetrics = {
    handled: 0,
    failed: 0,
    expired: 0,
    inFlight: 0,
    reconnects: 0,
    badMessages: 0,
    batches: 0,
  };

  constructor(options: RpcServerOptions) {
    super();
    this.#s = normalizeServerOptions(options);
    this.#log = resolveLogger(this.#s.logger);
  }

  /** Handles one request; throw a RemoteError to send its code, anything else is INTERNAL. */
  protected abstract handle(request: TReq, context: RpcContext): Promise<TRes>;

  /**
   * Handles every message taken together (expired and malformed ones already answered); returns
   * one outcome per item, in order. Default: handle() each, concurrently.
   */
  protected handleBatch(items: readonly RpcBatchItem<TReq>[]): Promise<RpcOutcome<TRes>[]> {
    return Promise.all(items.map((item) => this.#handleOne(item)));
  }

  async #handleOne(item: RpcBatchItem<TReq>): Promise<RpcOutcome<TRes>> {
    try {
      return { ok: true, result: await this.handle(item.request, item.context) };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** True while a consumer is active. */
  get consuming(): boolean {
    return this.#consumerTag !== null && this.#stopping === null;
  }

  get queue(): string {
    return this.#s.queue;
  }

  metrics(): RpcServerMetrics {
    return { ...this.#m };
  }

  /** Connects, declares the queue and consumes; resolves when consuming. */
  start(): Promise<void> {
    this.#starting ??= this.#start().catch((err: unknown) => {
      // A failed start leaves nothing open, so start() may be called again (unless stopped).
      if (this.#stopping === null) this.#starting = null;
      throw err;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    const conn = new AmqpConnection(this.#s, this.#log);
    this.#conn = conn;
    conn.on('disconnect', (err: Error) => this.emit('disconnect', err));
    await conn.openWith(
      (model) => this.#setup(model),
      (model) => {
        this.#m.reconnects++;
        this.#setupAttempt = 0;
        this.#trySetup(model);
      },
    );
  }

  async #setup(model: ChannelModel): Promise<void> {
    const s = this.#s;
    const channel = await model.createChannel();
    channel.on('error', (err: Error) => this.#log.warn({ err, queue: s.queue }, 'channel error'));
    channel.on('close', () => this.#onChannelClose(channel));
    try {
      await declareModelQueue(
        model,
        s.queue,
        { maxLength: s.maxLength, deliveryLimit: s.deliveryLimit },
        s.queueType,
        this.#log,
      );
      await channel.prefetch(s.prefetch);
      if (this.#stopping !== null) throw new Error('stopped during setup');
      this.#channel = channel;
      const acks = new AckBatcher(channel);
      this.#acks = acks;
      const { consumerTag } = await channel.consume(
        s.queue,
        (message) => this.#onMessage(channel, acks, message),
        { noAck: false },
      );
      this.#consumerTag = consumerTag;
    } catch (err) {
      this.#channel = null;
      await closeChannel(channel);
      throw err;
    }
    this.#log.info({ queue: s.queue }, 'rpc server consuming');
    this.emit('consuming');
  }

  #trySetup(model: ChannelModel): void {
    this.#setup(model).catch((err: unknown) => {
      this.#log.error({ err, queue: this.#s.queue }, 'rpc server setup failed');
      this.#setupLater();
    });
  }

  #setupLater(): void {
    if (this.#stopping !== null || this.#setupTimer !== null) return;
    const s = this.#s;
    const delay = backoffDelay(
      this.#setupAttempt++,
      s.reconnectInitialDelayMs,
      s.reconnectMaxDelayMs,
    );
    this.#setupTimer = setTimeout(() => {
      this.#setupTimer = null;
      const model = this.#conn?.model;
      // With no connection, the next 'connect' sets up instead.
      if (model != null && this.#channel === null) this.#trySetup(model);
    }, delay);
  }

  #onChannelClose(channel: Channel): void {
    if (this.#channel !== channel) return;
    this.#channel = null;
    this.#consumerTag = null;
    this.#acks?.discard();
    this.#acks = null;
    // What this channel delivered can no longer be acked; the broker redelivers it.
    const before = this.#buffer.length;
    this.#buffer = this.#buffer.filter((held) => held.channel !== channel);
    this.#m.inFlight -= before - this.#buffer.length;
    this.#checkIdle();
    if (this.#stopping === null && this.#conn?.model != null) this.#setupLater();
  }

  #onMessage(channel: Channel, acks: AckBatcher, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled us (queue deleted?): start over on a fresh channel.
      this.#log.warn({ queue: this.#s.queue }, 'consumer cancelled by the broker');
      void closeChannel(channel);
      return;
    }
    acks.delivered(message);
    this.#buffer.push({ message, channel, acks });
    this.#m.inFlight++;
    this.#schedule();
  }

  #schedule(): void {
    const s = this.#s;
    while (this.#active < s.concurrency && this.#buffer.length >= s.maxBatch) {
      this.#dispatch(this.#buffer.splice(0, s.maxBatch));
    }
    if (this.#buffer.length === 0 || this.#gather !== null || this.#active >= s.concurrency) return;
    // Gather: with a window of 0, whatever arrived in this I/O turn joins the batch.
    this.#gather =
      s.batchWindowMs === 0
        ? setImmediate(() => this.#flush())
        : setTimeout(() => this.#flush(), s.batchWindowMs);
  }

  #flush(): void {
    this.#gather = null;
    const s = this.#s;
    while (this.#active < s.concurrency && this.#buffer.length > 0) {
      this.#dispatch(this.#buffer.splice(0, s.maxBatch));
    }
  }

  #cancelGather(): void {
    const gather = this.#gather;
    if (gather === null) return;
    this.#gather = null;
    if (this.#s.batchWindowMs === 0) clearImmediate(gather as NodeJS.Immediate);
    else clearTimeout(gather as NodeJS.Timeout);
  }

  #dispatch(batch: Held[]): void {
    this.#active++;
    this.#run(batch)
      .catch((err: unknown) => this.#log.error({ err }, 'rpc server batch failed'))
      .finally(() => {
        this.#active--;
        if (this.#buffer.length > 0) {
          this.#cancelGather();
          // What arrived while we were busy has waited long enough.
          this.#flush();
        }
        this.#checkIdle();
      });
  }

  async #run(batch: Held[]): Promise<void> {
    const now = Date.now();
    const items: RpcBatchItem<TReq>[] = [];
    const targets: Held[] = [];
    for (const held of batch) {
      const decoded = decodeMessage<TReq>(held, now, this.#log);
      if (decoded.kind === 'item') {
        items.push(decoded.item);
        targets.push(held);
      } else if (decoded.kind === 'expired') {
        this.#m.expired++;
        this.#finish(held, null);
      } else {
        this.#m.badMessages++;
        this.#finish(held, { ok: false, error: { code: 'BAD_INPUT', message: decoded.message } });
      }
    }
    if (items.length === 0) return;
    this.#m.batches++;
    this.emit('batch', { size: items.length });
    let outcomes: unknown;
    try {
      outcomes = await this.handleBatch(items);
    } catch (error) {
      outcomes = items.map(() => ({ ok: false, error }));
    }
    if (!Array.isArray(outcomes) || outcomes.length !== items.length) {
      this.#log.error(
        {
          expected: items.length,
          got: Array.isArray(outcomes) ? outcomes.length : typeof outcomes,
        },
        'handleBatch returned the wrong number of outcomes',
      );
      outcomes = items.map(() => ({ ok: false, error: new Error('bad handleBatch outcome') }));
    }
    const list = outcomes as unknown[];
    for (let i = 0; i < targets.length; i++) {
      this.#finish(targets[i] as Held, this.#envelope(list[i], items[i] as RpcBatchItem<TReq>));
    }
  }

  #envelope(outcome: unknown, item: RpcBatchItem<TReq>): ReplyEnvelope {
    const o = outcome as { ok?: unknown; result?: unknown; error?: unknown } | null;
    if (o !== null && typeof o === 'object' && o.ok === true) {
      this.#m.handled++;
      return { ok: true, result: o.result };
    }
    this.#m.failed++;
    const error = o !== null && typeof o === 'object' && o.ok === false ? o.error : outcome;
    const wire = toWireError(error);
    if (wire.code === 'INTERNAL') {
      // The real error stays in the log; the wire gets a generic message and no stack.
      this.#log.error({ err: error, requestId: item.context.requestId }, 'handler failed');
    } else {
      this.#log.debug({ code: wire.code, requestId: item.context.requestId }, 'handler refused');
    }
    return { ok: false, error: wire };
  }

  /** Replies (when the message asked for one), then queues the ack. Never throws. */
  #finish(held: Held, envelope: ReplyEnvelope | null): void {
    const { message, channel, acks } = held;
    const { replyTo, correlationId } = message.properties;
    try {
      if (envelope !== null && typeof replyTo === 'string' && replyTo !== '') {
        const options: { contentType: string; correlationId?: string } = {
          contentType: CONTENT_TYPE,
        };
        if (typeof correlationId === 'string') options.correlationId = correlationId;
        channel.sendToQueue(replyTo, encodeReply(envelope), options);
      }
      acks.finish(message);
    } catch (err) {
      // The channel closed under us: the broker will redeliver the message.
      this.#log.debug({ err }, 'reply or ack on a closed channel');
    }
    this.#m.inFlight--;
  }

  #checkIdle(): void {
    if (this.#active > 0 || this.#buffer.length > 0) return;
    const idle = this.#idle;
    this.#idle = [];
    for (const resolve of idle) resolve();
  }

  /** Cancels the consumer, finishes in-flight work (reply, ack), then closes. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    await this.#starting?.catch(() => undefined);
    if (this.#setupTimer !== null) clearTimeout(this.#setupTimer);
    this.#setupTimer = null;
    const channel = this.#channel;
    const tag = this.#consumerTag;
    if (channel !== null && tag !== null) {
      try {
        await channel.cancel(tag);
      } catch (err) {
        this.#log.debug({ err }, 'cancel failed');
      }
    }
    this.#cancelGather();
    this.#flush();
    while (this.#active > 0 || this.#buffer.length > 0) {
      await new Promise<void>((resolve) => this.#idle.push(resolve));
      this.#flush();
    }
    this.#consumerTag = null;
    this.#channel = null;
    try {
      this.#acks?.flush();
    } catch (err) {
      this.#log.debug({ err }, 'final acks on a closed channel');
    }
    this.#acks = null;
    // Channel first: its close-ok comes after the broker has taken every reply we wrote. Closing
    // just the connection can drop replies still on their way through the channel.
    if (channel !== null) await closeChannel(channel);
    await this.#conn?.close();
  }
}
