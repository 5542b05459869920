import type { ConsumeMessage } from 'amqplib';
import type { Logger } from './logger.js';
import { childLogger } from './logger.js';

/** What a handler knows about the message it is handling. */
export interface RpcContext {
  requestId: string;
  correlationId: string;
  type: string;
  /** Epoch ms from x-deadline, if the caller sent one. */
  deadline: number | undefined;
  headers: Readonly<Record<string, unknown>>;
  /**
   * Epoch ms at which the caller published the message, for a queue-wait figure: x-deadline
   * minus `expiration` (both set at publish, in ms), else the AMQP `timestamp` (whole seconds).
   */
  publishedAt?: number | undefined;
  redelivered: boolean;
  /** The server's logger bound to this request id. */
  log: Logger;
}

const EMPTY_HEADERS: Readonly<Record<string, unknown>> = Object.freeze({});

export class MessageContext implements RpcContext {
  readonly requestId: string;
  readonly correlationId: string;
  readonly type: string;
  readonly deadline: number | undefined;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly publishedAt: number | undefined;
  readonly redelivered: boolean;
  readonly #parent: Logger;
  #log: Logger | null = null;

  constructor(message: ConsumeMessage, deadline: number | undefined, parent: Logger) {
    const p = message.properties;
    this.correlationId = typeof p.correlationId === 'string' ? p.correlationId : '';
    this.requestId = typeof p.messageId === 'string' ? p.messageId : this.correlationId;
    this.type = typeof p.type === 'string' ? p.type : 'call';
    this.deadline = deadline;
    this.headers = (p.headers as Record<string, unknown> | undefined) ?? EMPTY_HEADERS;
    this.publishedAt = publishedAt(p.expiration, deadline, p.timestamp);
    this.redelivered = message.fields.redelivered;
    this.#parent = parent;
  }

  // Made on first use: most handlers never log, and a child logger per message is not free.
  get log(): Logger {
    this.#log ??= childLogger(this.#parent, { requestId: this.requestId });
    return this.#log;
  }
}

function publishedAt(
  expiration: unknown,
  deadline: number | undefined,
  timestamp: unknown,
): number | undefined {
  const ttl = typeof expiration === 'string' ? Number(expiration) : Number.NaN;
  if (deadline !== undefined && Number.isFinite(ttl)) return deadline - ttl;
  return typeof timestamp === 'number' && timestamp > 0 ? timestamp * 1000 : undefined;
}
