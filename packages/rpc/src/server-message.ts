import type { Channel, ConsumeMessage } from 'amqplib';
import type { AckBatcher } from './ack-batcher.js';
import { CONTENT_TYPE, readDeadline } from './envelope.js';
import type { Logger } from './logger.js';
import type { RpcContext } from './rpc-context.js';
import { MessageContext } from './rpc-context.js';

// What the RPC server takes off its queue and hands its handlers: the message types and their
// decoding, apart from the consuming, batching and replying in rpc-server.ts.

export interface RpcBatchItem<TReq> {
  request: TReq;
  context: RpcContext;
}

export type RpcOutcome<TRes> = { ok: true; result: TRes } | { ok: false; error: unknown };

/** A delivered message and the channel it must be acked on (delivery tags are per channel). */
export interface Held {
  message: ConsumeMessage;
  channel: Channel;
  acks: AckBatcher;
}

export type Decoded<TReq> =
  | { kind: 'item'; held: Held; item: RpcBatchItem<TReq> }
  | { kind: 'expired'; held: Held }
  | { kind: 'bad'; held: Held; message: string };

/**
 * A delivered message as the server's handlers see it: expired (its deadline has passed), bad
 * (not JSON, or another content type), or an item to handle.
 */
export function decodeMessage<TReq>(held: Held, now: number, log: Logger): Decoded<TReq> {
  const { properties } = held.message;
  const deadline = readDeadline(properties.headers as Record<string, unknown> | undefined);
  if (deadline !== undefined && deadline <= now) return { kind: 'expired', held };
  const type = properties.contentType;
  if (typeof type !== 'string' || !(type === CONTENT_TYPE || type.startsWith(`${CONTENT_TYPE};`))) {
    return { kind: 'bad', held, message: 'content type must be application/json' };
  }
  let request: TReq;
  try {
    request = JSON.parse(held.message.content.toString('utf8')) as TReq;
  } catch {
    return { kind: 'bad', held, message: 'body is not valid JSON' };
  }
  const context = new MessageContext(held.message, deadline, log);
  return { kind: 'item', held, item: { request, context } };
}
