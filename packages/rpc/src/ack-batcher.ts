import type { Channel, ConsumeMessage } from 'amqplib';

/**
 * Acks for one channel, coalesced per I/O turn: the finished messages at the front of the
 * delivery order go as one `multiple` ack, the rest one by one (so a slow message never holds
 * finished ones against the prefetch). Fewer frames for the broker to read, which on a busy
 * broker is what bounds throughput.
 */
export class AckBatcher {
  readonly #channel: Channel;
  #order: ConsumeMessage[] = [];
  #head = 0;
  readonly #finished = new Set<ConsumeMessage>();
  readonly #ackedAlone = new Set<ConsumeMessage>();
  #scheduled: NodeJS.Immediate | null = null;

  constructor(channel: Channel) {
    this.#channel = channel;
  }

  delivered(message: ConsumeMessage): void {
    this.#order.push(message);
  }

  /** Queues the ack; it is written after anything written to the channel in this turn. */
  finish(message: ConsumeMessage): void {
    this.#finished.add(message);
    this.#scheduled ??= setImmediate(() => {
      try {
        this.flush();
      } catch {
        // The channel closed: the broker redelivers whatever was not acked.
      }
    });
  }

  /** Writes the queued acks now. Throws if the channel is closed. */
  flush(): void {
    if (this.#scheduled !== null) clearImmediate(this.#scheduled);
    this.#scheduled = null;
    if (this.#finished.size === 0) return;
    const order = this.#order;
    let last: ConsumeMessage | null = null;
    while (this.#head < order.length) {
      const message = order[this.#head] as ConsumeMessage;
      if (this.#finished.delete(message)) last = message;
      else if (!this.#ackedAlone.delete(message)) break;
      this.#head++;
    }
    if (this.#head > 1024) {
      this.#order = order.slice(this.#head);
      this.#head = 0;
    }
    try {
      if (last !== null) this.#channel.ack(last, true);
      for (const message of this.#finished) {
        this.#channel.ack(message, false);
        this.#ackedAlone.add(message);
      }
    } finally {
      this.#finished.clear();
    }
  }

  /** Forgets everything: the channel is gone and the broker redelivers what was not acked. */
  discard(): void {
    if (this.#scheduled !== null) clearImmediate(this.#scheduled);
    this.#scheduled = null;
    this.#order = [];
    this.#head = 0;
    this.#finished.clear();
    this.#ackedAlone.clear();
  }
}
