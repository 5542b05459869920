import { connectAny, type TlsMaterial } from '@mlapi/rpc';
import type { Channel, ChannelModel } from 'amqplib';
import type { Logger } from 'pino';

/** Ready messages waiting in each queue; a queue missing from the answer is not known. */
export interface QueueDepthSource {
  depths(queues: readonly string[]): Promise<Map<string, number>>;
}

export interface AmqpQueueDepthOptions {
  url: string;
  /** For an amqps:// url: CA and client certificate; null for none. */
  tls?: TlsMaterial | null;
  connectionName: string;
  logger: Logger;
  /** Per probe round; a broker slower than this gives no depths this round. Default 2000. */
  timeoutMs?: number;
}

/**
 * Queue depth from the broker itself: a passive queue.declare answers with the queue's ready
 * message count, one small round trip per queue on a connection of its own (so a 404 for a
 * queue that does not exist, which closes the channel, never touches the RPC client's
 * channels). It connects on first use, and after a failure on the next use: there is nothing to
 * reconnect while nobody is watching.
 */
export class AmqpQueueDepth implements QueueDepthSource {
  readonly #options: AmqpQueueDepthOptions;
  #connection: ChannelModel | null = null;
  #channel: Channel | null = null;
  #closed = false;

  constructor(options: AmqpQueueDepthOptions) {
    this.#options = options;
  }

  async depths(queues: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (this.#closed) return out;
    const timeoutMs = this.#options.timeoutMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('queue depth probe timed out')), timeoutMs);
    });
    try {
      await Promise.race([this.#probe(queues, out), timeout]);
    } catch (err) {
      this.#options.logger.debug({ err }, 'queue depth probe failed');
      await this.#drop();
    } finally {
      clearTimeout(timer);
    }
    return out;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#drop();
  }

  async #probe(queues: readonly string[], out: Map<string, number>): Promise<void> {
    for (const queue of queues) {
      const channel = await this.#channelFor();
      try {
        const { messageCount } = await channel.checkQueue(queue);
        out.set(queue, messageCount);
      } catch {
        // 404: no such queue (yet). The broker closed the channel; the next queue gets a new one.
        this.#channel = null;
      }
    }
  }

  async #channelFor(): Promise<Channel> {
    if (this.#connection === null) {
      const connection = await connectAny(this.#options.url, {
        connectionName: this.#options.connectionName,
        tls: this.#options.tls,
        timeoutMs: 5000,
      });
      connection.on('error', () => {}); // 'close' follows; the next probe reconnects
      connection.on('close', () => {
        if (this.#connection === connection) {
          this.#connection = null;
          this.#channel = null;
        }
      });
      if (this.#closed) {
        await connection.close().catch(() => {});
        throw new Error('closed');
      }
      this.#connection = connection;
    }
    if (this.#channel === null) {
      const channel = await this.#connection.createChannel();
      channel.on('error', () => {}); // a 404 on checkQueue closes the channel with an error
      this.#channel = channel;
    }
    return this.#channel;
  }

  async #drop(): Promise<void> {
    const connection = this.#connection;
    this.#connection = null;
    this.#channel = null;
    await connection?.close().catch(() => {});
  }
}
