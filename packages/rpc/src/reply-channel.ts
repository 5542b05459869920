import { randomBytes } from 'node:crypto';
import type { ChannelModel, ConfirmChannel, ConsumeMessage, Message } from 'amqplib';
import { closeChannel } from './connection.js';
import { REPLY_TO } from './envelope.js';
import type { Logger } from './logger.js';
import type { PendingCall } from './pending-call.js';

/** What a ReplyChannel reports to the client that owns the calls. */
export interface ReplyOwner {
  reply(call: PendingCall, content: Buffer): void;
  lateReply(message: ConsumeMessage): void;
  noRoute(call: PendingCall): void;
  nacked(call: PendingCall): void;
  drained(channel: ReplyChannel): void;
  channelClosed(channel: ReplyChannel): void;
}

// Kept a small integer so the counter never leaves V8's SMI range; ids only need to be unique
// among the calls pending on one channel incarnation, whose prefix is random.
const COUNTER_WRAP = 0x3fffffff;

/**
 * One confirm channel, its direct reply-to consumer and its own pending map. Request and reply
 * must share a channel (direct reply-to is per channel), so when the channel goes, every call
 * pending on it goes too.
 */
export class ReplyChannel {
  readonly pending = new Map<string, PendingCall>();
  open: boolean;
  writable = true;
  readonly #ch: ConfirmChannel | null;
  readonly #owner: ReplyOwner | null;
  readonly #prefix = `${randomBytes(6).toString('base64url')}.`;
  #counter = 0;
  // Calls by publish sequence number, lowest unconfirmed first: what a broker nack refers to.
  #unconfirmed: Array<PendingCall | null> = [];
  #lwm = 1;

  private constructor(ch: ConfirmChannel | null, owner: ReplyOwner | null) {
    this.#ch = ch;
    this.#owner = owner;
    this.open = ch !== null;
  }

  /** A channel that never opened: what the pool gets once the client is closed. */
  static dead(): ReplyChannel {
    return new ReplyChannel(null, null);
  }

  static async open(model: ChannelModel, owner: ReplyOwner, log: Logger): Promise<ReplyChannel> {
    const ch = await model.createConfirmChannel();
    const rc = new ReplyChannel(ch, owner);
    ch.on('error', (err: Error) => log.warn({ err }, 'rpc channel error'));
    ch.on('close', () => rc.#onClose());
    ch.on('drain', () => {
      rc.writable = true;
      owner.drained(rc);
    });
    ch.on('return', (message: Message) => rc.#onReturn(message));
    ch.on('ack', (f: { deliveryTag: number; multiple: boolean }) =>
      rc.#confirm(f.deliveryTag, f.multiple, false),
    );
    ch.on('nack', (f: { deliveryTag: number; multiple: boolean }) =>
      rc.#confirm(f.deliveryTag, f.multiple, true),
    );
    try {
      // The reply consumer must exist before the first publish that names amq.rabbitmq.reply-to.
      await ch.consume(REPLY_TO, (message) => rc.#onReply(message), { noAck: true });
    } catch (err) {
      await rc.close();
      throw err;
    }
    return rc;
  }

  /** Publishes the call and registers it; returns false when the caller should wait for drain. */
  publish(call: PendingCall, options: PublishOptions): boolean {
    const ch = this.#ch as ConfirmChannel;
    const correlationId = this.#prefix + this.#counter.toString(36);
    this.#counter = this.#counter === COUNTER_WRAP ? 0 : this.#counter + 1;
    options.correlationId = correlationId;
    const ok = ch.publish('', call.queue, call.body as Buffer, options);
    // Registered only after publish() returned: it throws when the channel is already closed.
    call.correlationId = correlationId;
    call.channel = this;
    this.pending.set(correlationId, call);
    this.#unconfirmed.push(call);
    if (!ok) this.writable = false;
    return ok;
  }

  async close(): Promise<void> {
    const ch = this.#ch;
    if (ch === null || !this.open) return;
    this.open = false;
    await closeChannel(ch);
  }

  #onReply(message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the reply consumer: no reply can arrive here any more.
      void this.close();
      return;
    }
    const id = message.properties.correlationId as string | undefined;
    const call = id === undefined ? undefined : this.pending.get(id);
    if (call === undefined) {
      this.#owner?.lateReply(message);
      return;
    }
    this.pending.delete(id as string);
    this.#owner?.reply(call, message.content);
  }

  #onReturn(message: Message): void {
    const id = message.properties.correlationId as string | undefined;
    const call = id === undefined ? undefined : this.pending.get(id);
    if (call !== undefined) this.#owner?.noRoute(call);
  }

  #confirm(tag: number, multiple: boolean, nack: boolean): void {
    const list = this.#unconfirmed;
    const index = tag - this.#lwm;
    if (index < 0 || index >= list.length) return;
    if (multiple) {
      const done = list.splice(0, index + 1);
      this.#lwm = tag + 1;
      if (nack) for (const call of done) if (call !== null) this.#nacked(call);
      return;
    }
    const call = list[index] ?? null;
    list[index] = null;
    while (list.length > 0 && list[0] === null) {
      list.shift();
      this.#lwm++;
    }
    if (nack && call !== null) this.#nacked(call);
  }

  #nacked(call: PendingCall): void {
    // The reply may have won the race: only a call still pending here is rejected.
    if (this.pending.get(call.correlationId) === call) this.#owner?.nacked(call);
  }

  #onClose(): void {
    this.open = false;
    this.writable = false;
    this.#unconfirmed = [];
    this.#owner?.channelClosed(this);
  }
}

export interface PublishOptions {
  correlationId: string;
  replyTo: string;
  contentType: string;
  messageId: string;
  timestamp: number;
  type: string;
  expiration: string;
  headers: Record<string, unknown>;
  mandatory: true;
  persistent: false;
}
