import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ConsumeMessage } from 'amqplib';
import type { Pool } from 'generic-pool';
import { createPool } from 'generic-pool';
import { AmqpConnection, backoffDelay } from './connection.js';
import {
  CONTENT_TYPE,
  decodeReply,
  ENVELOPE_VERSION,
  HEADER_DEADLINE,
  HEADER_ENVELOPE,
  HEADER_TRACEPARENT,
  REPLY_TO,
} from './envelope.js';
import type { RpcErrorCode } from './errors.js';
import { RpcError } from './errors.js';
import type { Logger } from './logger.js';
import { resolveLogger } from './logger.js';
import type { RpcClientMetrics } from './metrics.js';
import type { ClientSettings, RpcClientOptions } from './options.js';
import { MAX_TIMER_MS, normalizeClientOptions } from './options.js';
import { PendingCall, PUBLISHED, SETTLED, WAITING } from './pending-call.js';
import type { PublishOptions, ReplyOwner } from './reply-channel.js';
import { ReplyChannel } from './reply-channel.js';

export interface CallOptions {
  /** Relative timeout; the earlier of timeoutMs and deadline wins. Default: the client's timeoutMs. */
  timeoutMs?: number;
  /** Absolute deadline, epoch ms. */
  deadline?: number;
  /** AMQP messageId. Default: a random UUID. */
  requestId?: string;
  /** AMQP `type`, the method. Default `'call'`. */
  type?: string;
  /** Extra AMQP headers; they cannot override x-deadline, x-mlapi-envelope or traceparent. */
  headers?: Record<string, string | number | boolean>;
  /** W3C traceparent, sent as a header. */
  traceparent?: string;
  /** Aborting rejects the call with RPC_ABORTED at once. */
  signal?: AbortSignal;
}

interface ClientHooks extends ReplyOwner {
  timeout(call: PendingCall): void;
}

const COUNTERS = Object.freeze({
  calls: 0,
  replies: 0,
  timeouts: 0,
  lateReplies: 0,
  reconnects: 0,
  closedRejections: 0,
  noRoute: 0,
  overloaded: 0,
  remoteErrors: 0,
  badReplies: 0,
  aborted: 0,
  unavailable: 0,
  drainWaits: 0,
});
type Counters = { -readonly [K in keyof typeof COUNTERS]: number };

const COUNTER_OF: Partial<Record<RpcErrorCode, keyof Counters>> = {
  RPC_TIMEOUT: 'timeouts',
  RPC_CLOSED: 'closedRejections',
  RPC_NO_ROUTE: 'noRoute',
  RPC_OVERLOADED: 'overloaded',
  RPC_REMOTE: 'remoteErrors',
  RPC_BAD_REPLY: 'badReplies',
  RPC_ABORTED: 'aborted',
  RPC_UNAVAILABLE: 'unavailable',
};

/**
 * A pooled RPC client over RabbitMQ direct reply-to.
 *
 * Channels are shared, not borrowed per call: generic-pool creates and destroys them (with
 * acquireTimeoutMillis), the client keeps the ones it acquired and spreads calls over them
 * round-robin, so the hot path never awaits the pool.
 *
 * Calls that cannot be published yet (over maxInFlight, no open channel, every channel waiting
 * for 'drain') wait in one FIFO queue under their own deadline. While no channel is open they
 * fail fast with RPC_UNAVAILABLE: when a reconnect attempt fails, or after acquireTimeoutMs.
 *
 * Events: 'connect', 'disconnect' (err), 'reconnect-scheduled' ({delayMs, attempt}).
 */
export class RpcClient extends EventEmitter {
  readonly #s: ClientSettings;
  readonly #log: Logger;
  readonly #owner: ClientHooks;
  #conn: AmqpConnection | null = null;
  #pool: Pool<ReplyChannel> | null = null;
  #connecting: Promise<void> | null = null;
  #closing: Promise<void> | null = null;
  #closed = false;
  #ready: ReplyChannel[] = [];
  #next = 0;
  #filling = 0;
  #refillTimer: NodeJS.Timeout | null = null;
  #filled: Promise<void> = Promise.resolve();
  #refillAttempt = 0;
  #waiting = new Set<PendingCall>();
  #inFlight = 0;
  #unavailableSince = 0;
  #sweepTimer: NodeJS.Timeout | null = null;
  readonly #m: Counters = { ...COUNTERS };

  constructor(options: RpcClientOptions = {}) {
    super();
    this.#s = normalizeClientOptions(options);
    this.#log = resolveLogger(this.#s.logger);
    this.#owner = {
      reply: (call, content) => this.#onReply(call, content),
      lateReply: (message) => this.#onLateReply(message),
      noRoute: (call) => this.#fail(call, 'RPC_NO_ROUTE', `no queue named "${call.queue}"`),
      nacked: (call) => this.#fail(call, 'RPC_OVERLOADED', `queue "${call.queue}" is full`),
      drained: () => this.#pump(),
      channelClosed: (channel) => this.#onChannelClosed(channel),
      timeout: (call) => this.#onTimeout(call),
    };
  }

  /** True while the connection to the broker is up. */
  get connected(): boolean {
    return this.#conn?.model != null;
  }

  /** Opens the connection and the channel pool; later losses reconnect by themselves. */
  connect(): Promise<void> {
    if (this.#closed) return Promise.reject(new RpcError('RPC_CLOSED', 'client closed'));
    this.#connecting ??= this.#start().catch(async (err: unknown) => {
      // A failed first connect leaves nothing behind, so connect() may be called again.
      const conn = this.#conn;
      const pool = this.#pool;
      this.#conn = null;
      this.#pool = null;
      this.#connecting = null;
      this.#stopSweep();
      this.#failWaiting('RPC_UNAVAILABLE', 'connect failed');
      await conn?.close();
      await pool?.clear();
      throw err;
    });
    return this.#connecting;
  }

  async #start(): Promise<void> {
    const conn = new AmqpConnection(this.#s, this.#log);
    this.#conn = conn;
    this.#pool = createPool<ReplyChannel>(
      {
        create: () => this.#createChannel(),
        destroy: (channel) => channel.close(),
      },
      {
        max: this.#s.poolSize,
        min: 0,
        // Without it, acquire() waits forever when create keeps failing.
        acquireTimeoutMillis: this.#s.acquireTimeoutMs,
      },
    );
    // Per connection: a failed connect() that got as far as connecting is not a reconnect.
    let connects = 0;
    conn.on('connect', () => {
      if (connects++ > 0) this.#m.reconnects++;
      this.#refillAttempt = 0;
      this.#refill();
      this.emit('connect');
    });
    conn.on('disconnect', (err: Error) => this.emit('disconnect', err));
    conn.on('reconnect-scheduled', (info: { delayMs: number; attempt: number }) =>
      this.emit('reconnect-scheduled', info),
    );
    // The broker is down for real: waiting calls learn it now, not after acquireTimeoutMs.
    conn.on('connect-failed', () => {
      if (this.#ready.length === 0) this.#failWaiting('RPC_UNAVAILABLE', 'broker unreachable');
    });
    await conn.open();
    // The 'connect' handler started filling the pool; the first connect waits for all of it.
    await this.#filled;
    if (this.#closed) throw new RpcError('RPC_CLOSED', 'client closed');
    if (this.#ready.length === 0) throw new RpcError('RPC_UNAVAILABLE', 'no channel could open');
  }

  async #createChannel(): Promise<ReplyChannel> {
    const conn = this.#conn as AmqpConnection;
    for (let attempt = 0; ; attempt++) {
      const model = await conn.ready();
      // Resolve rather than reject once closed: generic-pool retries a failed create at once for
      // every waiting acquire, which would spin.
      if (model === null || this.#closed) return ReplyChannel.dead();
      try {
        return await ReplyChannel.open(model, this.#owner, this.#log);
      } catch (err) {
        this.#log.warn({ err }, 'rpc channel open failed');
        await conn.sleep(
          backoffDelay(attempt, this.#s.reconnectInitialDelayMs, this.#s.reconnectMaxDelayMs),
        );
      }
    }
  }

  #refill(): void {
    const pool = this.#pool;
    if (pool === null || this.#closed || this.#conn?.model == null) return;
    const missing = this.#s.poolSize - this.#ready.length - this.#filling;
    const acquires: Promise<void>[] = [];
    for (let i = 0; i < missing; i++) {
      this.#filling++;
      const acquire = pool.acquire().then(
        (channel) => {
          this.#filling--;
          if (this.#closed || !channel.open) {
            pool.destroy(channel).catch(() => undefined);
            this.#refillLater();
            return;
          }
          this.#refillAttempt = 0;
          this.#ready.push(channel);
          this.#stopSweep();
          this.#pump();
        },
        (err: unknown) => {
          this.#filling--;
          this.#log.warn({ err }, 'rpc channel acquire failed');
          this.#refillLater();
        },
      );
      acquires.push(acquire);
    }
    this.#filled = Promise.all(acquires).then(() => undefined);
  }

  #refillLater(): void {
    if (this.#closed || this.#refillTimer !== null) return;
    const delay = backoffDelay(
      this.#refillAttempt++,
      this.#s.reconnectInitialDelayMs,
      this.#s.reconnectMaxDelayMs,
    );
    this.#refillTimer = setTimeout(() => {
      this.#refillTimer = null;
      this.#refill();
    }, delay);
  }

  /**
   * Sends `payload` as JSON to `queue` and resolves with the decoded reply's result. Rejects with
   * an RpcError (see its code), or a TypeError for a bad argument or a payload JSON cannot encode.
   */
  call<TRes = unknown, TReq = unknown>(
    queue: string,
    payload: TReq,
    options?: CallOptions,
  ): Promise<TRes> {
    if (this.#closed) return Promise.reject(new RpcError('RPC_CLOSED', 'client closed'));
    if (this.#pool === null) {
      return Promise.reject(new RpcError('RPC_UNAVAILABLE', 'not connected: call connect() first'));
    }
    if (
      typeof queue !== 'string' ||
      queue.length === 0 ||
      (queue.length > 85 && Buffer.byteLength(queue) > 255)
    ) {
      return Promise.reject(new TypeError('queue must be a name of 1 to 255 bytes'));
    }
    const now = Date.now();
    let deadline: number;
    let body: Buffer;
    let headers: Record<string, unknown>;
    try {
      deadline = deadlineOf(now, this.#s.timeoutMs, options);
      headers = headersOf(deadline, options);
      body = Buffer.from(JSON.stringify(payload) ?? 'null');
    } catch (err) {
      return Promise.reject(err);
    }
    this.#m.calls++;
    const signal = options?.signal;
    if (deadline <= now) return Promise.reject(this.#error('RPC_TIMEOUT', 'deadline passed'));
    if (signal?.aborted) return Promise.reject(this.#error('RPC_ABORTED', 'aborted'));
    const call = new PendingCall(
      queue,
      body,
      deadline,
      options?.requestId ?? randomUUID(),
      options?.type ?? 'call',
      headers,
      signal,
    );
    const promise = new Promise<TRes>((resolve, reject) => {
      call.resolve = resolve as (value: unknown) => void;
      call.reject = reject;
    });
    call.timer = setTimeout(onTimer, deadline - now, this.#owner, call);
    if (signal !== undefined) {
      call.onAbort = () => this.#fail(call, 'RPC_ABORTED', 'aborted');
      signal.addEventListener('abort', call.onAbort, { once: true });
    }
    const channel = this.#waiting.size === 0 ? this.#slot() : null;
    if (channel !== null) this.#publish(channel, call);
    else this.#wait(call, now);
    return promise;
  }

  /** Rejects every pending and waiting call with RPC_CLOSED, clears timers, closes the connection. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    if (this.#refillTimer !== null) clearTimeout(this.#refillTimer);
    this.#refillTimer = null;
    this.#stopSweep();
    this.#failWaiting('RPC_CLOSED', 'client closed');
    const channels = this.#ready;
    this.#ready = [];
    for (const channel of channels) this.#failPending(channel, 'client closed');
    const pool = this.#pool;
    if (pool !== null) {
      await Promise.all(channels.map((channel) => pool.destroy(channel).catch(() => undefined)));
    }
    await this.#conn?.close();
    await this.#connecting?.catch(() => undefined);
    if (pool !== null) {
      await pool.drain();
      await pool.clear();
    }
  }

  metrics(): RpcClientMetrics {
    return {
      ...this.#m,
      inFlight: this.#inFlight,
      waiting: this.#waiting.size,
      channels: this.#ready.length,
    };
  }

  /** A channel to publish on now, or null when the call has to wait. */
  #slot(): ReplyChannel | null {
    const cap = this.#s.maxInFlight;
    if (cap > 0 && this.#inFlight >= cap) return null;
    const ready = this.#ready;
    const n = ready.length;
    for (let i = 0; i < n; i++) {
      const channel = ready[this.#next] as ReplyChannel;
      this.#next = this.#next + 1 === n ? 0 : this.#next + 1;
      if (channel.writable) return channel;
    }
    return null;
  }

  #publish(channel: ReplyChannel, call: PendingCall): void {
    const now = Date.now();
    const options: PublishOptions = {
      correlationId: '',
      replyTo: REPLY_TO,
      contentType: CONTENT_TYPE,
      messageId: call.requestId,
      // AMQP timestamps are seconds since the epoch.
      timestamp: Math.floor(now / 1000),
      type: call.type,
      // The broker drops the message once it has sat this long; never "0", which means
      // "deliver now or drop" to RabbitMQ.
      expiration: String(Math.max(1, call.deadline - now)),
      headers: call.headers,
      mandatory: true,
      persistent: false,
    };
    try {
      if (!channel.publish(call, options)) this.#m.drainWaits++;
    } catch (cause) {
      // publish() throws when the channel closed under us; the close handler will replace it.
      this.#fail(call, 'RPC_CLOSED', 'channel closed', cause);
      return;
    }
    call.state = PUBLISHED;
    call.body = null;
    this.#inFlight++;
  }

  #wait(call: PendingCall, now: number): void {
    call.waitingSince = now;
    this.#waiting.add(call);
    if (this.#ready.length === 0) this.#armSweep();
  }

  /** Publishes waiting calls, oldest first, while there is room. */
  #pump(): void {
    if (this.#waiting.size === 0) return;
    for (const call of this.#waiting) {
      const channel = this.#slot();
      if (channel === null) return;
      this.#waiting.delete(call);
      this.#publish(channel, call);
    }
  }

  #onReply(call: PendingCall, content: Buffer): void {
    if (!this.#settle(call)) return;
    this.#m.replies++;
    let result: unknown;
    try {
      result = decodeReply(content);
    } catch (err) {
      const key = COUNTER_OF[(err as RpcError).code];
      if (key !== undefined) this.#m[key]++;
      call.reject(err);
      return;
    }
    call.resolve(result);
  }

  #onLateReply(message: ConsumeMessage): void {
    this.#m.lateReplies++;
    this.#log.debug({ correlationId: message.properties.correlationId }, 'late reply dropped');
  }

  /** Clears everything a call holds; false if it had already settled. */
  #settle(call: PendingCall): boolean {
    const state = call.state;
    if (state === SETTLED) return false;
    call.state = SETTLED;
    if (state === PUBLISHED) {
      this.#inFlight--;
      call.channel?.pending.delete(call.correlationId);
      call.channel = null;
    } else {
      this.#waiting.delete(call);
    }
    if (call.timer !== null) clearTimeout(call.timer);
    call.timer = null;
    if (call.onAbort !== null) call.signal?.removeEventListener('abort', call.onAbort);
    call.onAbort = null;
    call.body = null;
    if (this.#waiting.size > 0 && state === PUBLISHED) this.#pump();
    return true;
  }

  #fail(call: PendingCall, code: RpcErrorCode, message: string, cause?: unknown): void {
    if (this.#settle(call)) call.reject(this.#error(code, message, cause));
  }

  #error(code: RpcErrorCode, message: string, cause?: unknown): RpcError {
    const key = COUNTER_OF[code];
    if (key !== undefined) this.#m[key]++;
    return new RpcError(code, message, cause === undefined ? undefined : { cause });
  }

  #onTimeout(call: PendingCall): void {
    call.timer = null;
    // A call that never left because there was no channel failed on the broker, not the server.
    if (call.state === WAITING && this.#ready.length === 0) {
      this.#fail(call, 'RPC_UNAVAILABLE', 'no channel before the deadline');
    } else {
      this.#fail(call, 'RPC_TIMEOUT', 'deadline passed');
    }
  }

  #onChannelClosed(channel: ReplyChannel): void {
    const index = this.#ready.indexOf(channel);
    if (index !== -1) {
      this.#ready.splice(index, 1);
      this.#next = 0;
      this.#pool?.destroy(channel).catch(() => undefined);
    }
    this.#failPending(channel, 'channel closed');
    if (this.#closed) return;
    if (this.#ready.length === 0) {
      this.#unavailableSince = Date.now();
      if (this.#waiting.size > 0) this.#armSweep();
    }
    // A channel can die alone (a channel error) while the connection lives on.
    if (this.#conn?.model != null) this.#refillLater();
  }

  #failPending(channel: ReplyChannel, message: string): void {
    for (const call of channel.pending.values()) this.#fail(call, 'RPC_CLOSED', message);
    channel.pending.clear();
  }

  #failWaiting(code: RpcErrorCode, message: string): void {
    for (const call of this.#waiting) this.#fail(call, code, message);
  }

  // While no channel is open, one timer fails the calls that have waited acquireTimeoutMs.
  #armSweep(): void {
    if (this.#sweepTimer !== null || this.#closed) return;
    const first = this.#waiting.values().next();
    if (first.done === true) return;
    const since = Math.max(first.value.waitingSince, this.#unavailableSince);
    const delay = Math.min(
      MAX_TIMER_MS,
      Math.max(0, since + this.#s.acquireTimeoutMs - Date.now()),
    );
    this.#sweepTimer = setTimeout(() => {
      this.#sweepTimer = null;
      if (this.#ready.length > 0) return;
      const now = Date.now();
      for (const call of this.#waiting) {
        if (Math.max(call.waitingSince, this.#unavailableSince) + this.#s.acquireTimeoutMs > now) {
          break;
        }
        this.#fail(call, 'RPC_UNAVAILABLE', 'no channel within acquireTimeoutMs');
      }
      this.#armSweep();
    }, delay);
  }

  #stopSweep(): void {
    if (this.#sweepTimer !== null) clearTimeout(this.#sweepTimer);
    this.#sweepTimer = null;
  }
}

// Module-level with its arguments passed by setTimeout: no closure allocated per call.
function onTimer(hooks: ClientHooks, call: PendingCall): void {
  hooks.timeout(call);
}

function deadlineOf(now: number, defaultTimeoutMs: number, options?: CallOptions): number {
  const timeoutMs = options?.timeoutMs;
  if (
    timeoutMs !== undefined &&
    (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || timeoutMs > MAX_TIMER_MS)
  ) {
    throw new TypeError(`call option "timeoutMs" must be a number from 0 to ${MAX_TIMER_MS}`);
  }
  let deadline = now + (timeoutMs ?? defaultTimeoutMs);
  const absolute = options?.deadline;
  if (absolute !== undefined) {
    if (typeof absolute !== 'number' || !Number.isFinite(absolute)) {
      throw new TypeError('call option "deadline" must be a finite number (epoch ms)');
    }
    if (absolute < deadline) deadline = absolute;
    // setTimeout cannot wait longer than MAX_TIMER_MS.
    if (deadline - now > MAX_TIMER_MS) deadline = now + MAX_TIMER_MS;
  }
  return Math.floor(deadline);
}

function headersOf(deadline: number, options?: CallOptions): Record<string, unknown> {
  const headers: Record<string, unknown> =
    options?.headers === undefined ? {} : { ...options.headers };
  headers[HEADER_DEADLINE] = deadline;
  headers[HEADER_ENVELOPE] = ENVELOPE_VERSION;
  const traceparent = options?.traceparent;
  if (traceparent !== undefined) headers[HEADER_TRACEPARENT] = traceparent;
  return headers;
}
