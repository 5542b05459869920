import { randomUUID } from 'node:crypto';
import {
  CONTENT_TYPE,
  ENVELOPE_VERSION,
  HEADER_DEADLINE,
  HEADER_ENVELOPE,
  HEADER_TRACEPARENT,
  REPLY_TO,
} from './envelope.js';
import { MAX_TIMER_MS } from './options.js';
import { PendingCall } from './pending-call.js';
import type { PublishOptions } from './reply-channel.js';

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

/**
 * Builds a call from call()'s arguments; throws a TypeError for a bad argument or a payload JSON
 * cannot encode. Its state then moves WAITING → PUBLISHED → SETTLED (see RpcClient).
 */
export function newCall(
  queue: string,
  payload: unknown,
  now: number,
  defaultTimeoutMs: number,
  options?: CallOptions,
): PendingCall {
  if (
    typeof queue !== 'string' ||
    queue.length === 0 ||
    (queue.length > 85 && Buffer.byteLength(queue) > 255)
  ) {
    throw new TypeError('queue must be a name of 1 to 255 bytes');
  }
  const deadline = deadlineOf(now, defaultTimeoutMs, options);
  const headers = headersOf(deadline, options);
  const body = Buffer.from(JSON.stringify(payload) ?? 'null');
  return new PendingCall(
    queue,
    body,
    deadline,
    options?.requestId ?? randomUUID(),
    options?.type ?? 'call',
    headers,
    options?.signal,
  );
}

/** The AMQP properties of a call's publish; the channel fills in correlationId. */
export function publishOptions(call: PendingCall, now: number): PublishOptions {
  return {
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
}

/** Clears what a settling call holds itself: its timer, abort listener and body. */
export function releaseCall(call: PendingCall): void {
  if (call.timer !== null) clearTimeout(call.timer);
  call.timer = null;
  if (call.onAbort !== null) call.signal?.removeEventListener('abort', call.onAbort);
  call.onAbort = null;
  call.body = null;
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
