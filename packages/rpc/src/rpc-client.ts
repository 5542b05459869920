import { EventEmitter } from 'node:events';
import type { ConsumeMessage } from 'amqplib';
import type { CallOptions } from './call-lifecycle.js';
import { newCall, publishOptions, releaseCall } from './call-lifecycle.js';
import { ChannelSet } from './channel-set.js';
import { AmqpConnection } from './connection.js';
import { decodeReply } from './envelope.js';
import type { RpcErrorCode } from './errors.js';
import { RpcError } from './errors.js';
import type { Logger } from './logger.js';
import { resolveLogger } from './logger.js';
import type { RpcClientMetrics } from './metrics.js';
import type { ClientSettings, RpcClientOptions } from './options.js';
import { normalizeClientOptions } from './options.js';
import type { PendingCall } from './pending-call.js';
import { PUBLISHED, SETTLED, WAITING } from './pending-call.js';
import type { ReplyChannel, ReplyOwner } from './reply-channel.js';
import { WaitingQueue } from './waiting-queue.js';

export type { CallOptions } from './call-lifecycle.js';

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
 * A pooled RPC client over RabbitMQ direct reply-to: the call lifecycle. The channels live in a
 * ChannelSet, calls that cannot be published yet in a WaitingQueue; a call moves WAITING →
 * PUBLISHED → SETTLED, and settles exactly once (reply, error, timeout, abort or close).
 *
 * Events: 'connect', 'disconnect' (err), 'reconnect-scheduled' ({delayMs, attempt}).
 */
export class RpcClient extends EventEmitter {
  readonly #s: ClientSettings;
  readonly #log: Logger;
  readonly #owner: ClientHooks;
  readonly #waiting: WaitingQueue;
  #conn: AmqpConnection | null = null;
  #channels: ChannelSet | null = null;
  #connecting: Promise<void> | null = null;
  #closing: Promise<void> | null = null;
  #closed = false;
  #inFlight = 0;
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
    this.#waiting = new WaitingQueue(
      this.#s.acquireTimeoutMs,
      () => (this.#channels?.size ?? 0) === 0,
      (call, code, message) => this.#fail(call, code, message),
    );
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
      const channels = this.#channels;
      this.#conn = null;
      this.#channels = null;
      this.#connecting = null;
      this.#waiting.stopSweep();
      this.#waiting.failAll('RPC_UNAVAILABLE', 'connect failed');
      await conn?.close();
      await channels?.clear();
      throw err;
    });
    return this.#connecting;
  }

  async #start(): Promise<void> {
    const conn = new AmqpConnection(this.#s, this.#log);
    this.#conn = conn;
    const channels = new ChannelSet(this.#s, this.#log, conn, this.#owner, () => {
      this.#waiting.channelsBack();
      this.#pump();
    });
    this.#channels = channels;
    // Per connection: a failed connect() that got as far as connecting is not a reconnect.
    let connects = 0;
    conn.on('connect', () => {
      if (connects++ > 0) this.#m.reconnects++;
      channels.connected();
      this.emit('connect');
    });
    conn.on('disconnect', (err: Error) => this.emit('disconnect', err));
    conn.on('reconnect-scheduled', (info: { delayMs: number; attempt: number }) =>
      this.emit('reconnect-scheduled', info),
    );
    // The broker is down for real: waiting calls learn it now, not after acquireTimeoutMs.
    conn.on('connect-failed', () => {
      if (channels.size === 0) this.#waiting.failAll('RPC_UNAVAILABLE', 'broker unreachable');
    });
    await conn.open();
    // The 'connect' handler started filling the pool; the first connect waits for all of it.
    await channels.filled;
    if (this.#closed) throw new RpcError('RPC_CLOSED', 'client closed');
    if (channels.size === 0) throw new RpcError('RPC_UNAVAILABLE', 'no channel could open');
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
    if (this.#channels === null) {
      return Promise.reject(new RpcError('RPC_UNAVAILABLE', 'not connected: call connect() first'));
    }
    const now = Date.now();
    let call: PendingCall;
    try {
      call = newCall(queue, payload, now, this.#s.timeoutMs, options);
    } catch (err) {
      return Promise.reject(err);
    }
    this.#m.calls++;
    const signal = call.signal;
    if (call.deadline <= now) return Promise.reject(this.#error('RPC_TIMEOUT', 'deadline passed'));
    if (signal?.aborted) return Promise.reject(this.#error('RPC_ABORTED', 'aborted'));
    const promise = new Promise<TRes>((resolve, reject) => {
      call.resolve = resolve as (value: unknown) => void;
      call.reject = reject;
    });
    call.timer = setTimeout(onTimer, call.deadline - now, this.#owner, call);
    if (signal !== undefined) {
      call.onAbort = () => this.#fail(call, 'RPC_ABORTED', 'aborted');
      signal.addEventListener('abort', call.onAbort, { once: true });
    }
    const channel = this.#waiting.size === 0 ? this.#slot() : null;
    if (channel !== null) this.#publish(channel, call);
    else this.#waiting.add(call, now);
    return promise;
  }

  /** Rejects every pending and waiting call with RPC_CLOSED, clears timers, closes the connection. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#waiting.close();
    this.#waiting.failAll('RPC_CLOSED', 'client closed');
    const set = this.#channels;
    const channels = set?.takeAll() ?? [];
    for (const channel of channels) this.#failPending(channel, 'client closed');
    await set?.destroy(channels);
    await this.#conn?.close();
    await this.#connecting?.catch(() => undefined);
    await set?.clear();
  }

  metrics(): RpcClientMetrics {
    return {
      ...this.#m,
      inFlight: this.#inFlight,
      waiting: this.#waiting.size,
      channels: this.#channels?.size ?? 0,
    };
  }

  /** A channel to publish on now, or null when the call has to wait. */
  #slot(): ReplyChannel | null {
    const cap = this.#s.maxInFlight;
    if (cap > 0 && this.#inFlight >= cap) return null;
    return this.#channels?.writable() ?? null;
  }

  #publish(channel: ReplyChannel, call: PendingCall): void {
    try {
      if (!channel.publish(call, publishOptions(call, Date.now()))) this.#m.drainWaits++;
    } catch (cause) {
      // publish() throws when the channel closed under us; the close handler will replace it.
      this.#fail(call, 'RPC_CLOSED', 'channel closed', cause);
      return;
    }
    call.state = PUBLISHED;
    call.body = null;
    this.#inFlight++;
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
    releaseCall(call);
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
    if (call.state === WAITING && (this.#channels?.size ?? 0) === 0) {
      this.#fail(call, 'RPC_UNAVAILABLE', 'no channel before the deadline');
    } else {
      this.#fail(call, 'RPC_TIMEOUT', 'deadline passed');
    }
  }

  #onChannelClosed(channel: ReplyChannel): void {
    const set = this.#channels;
    set?.remove(channel);
    // Request and reply share a channel (direct reply-to), so its pending calls die with it.
    this.#failPending(channel, 'channel closed');
    if (this.#closed || set === null) return;
    if (set.size === 0) this.#waiting.channelsLost(Date.now());
  }

  #failPending(channel: ReplyChannel, message: string): void {
    for (const call of channel.pending.values()) this.#fail(call, 'RPC_CLOSED', message);
    channel.pending.clear();
  }
}

// Module-level with its arguments passed by setTimeout: no closure allocated per call.
function onTimer(hooks: ClientHooks, call: PendingCall): void {
  hooks.timeout(call);
}
