import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { AmqpConnection, backoffDelay, closeChannel } from './connection.js';
import { RpcError } from './errors.js';
import type { Logger } from './logger.js';
import type { ConnectionSettings } from './options.js';
import { ensureFanoutExchanges } from './shared-topology.js';

export interface PresenceLinkOptions {
  settings: ConnectionSettings;
  log: Logger;
  /** For messages: 'presence publisher' or 'presence tracker'. */
  what: string;
  /** Both fanout exchanges: checked, or declared by either side if missing (shared-topology.ts). */
  exchange: string;
  probeExchange: string;
  /** The exchange this side listens to, through a private queue. */
  listenTo: string;
  onMessage: (message: ConsumeMessage) => void;
  /** Runs whenever a channel is ready: after start and after every reconnect. */
  /** A channel is open, consuming the server-named queue `queue` bound to `listenTo`. */
  onChannel: (channel: Channel, queue: string) => void;
  /** Runs every tickMs while started. */
  onTick: () => void;
  tickMs: number;
}

/**
 * The connection side of presence, shared by publisher and tracker: one channel with a private
 * queue bound to one fanout exchange, and a ticking timer. The channel is set up again after
 * every reconnect, and also when it closes alone (a channel error, a cancelled consumer) while
 * the connection lives: a presence side that stops hearing is worse than one that is down.
 * `start()` may be retried after a failure (each attempt has its own connection, closed if the
 * attempt fails); after `stop()` it rejects RPC_CLOSED.
 */
export class PresenceLink {
  readonly #o: PresenceLinkOptions;
  #conn: AmqpConnection | null = null;
  #channel: Channel | null = null;
  #queue: string | null = null;
  #timer: NodeJS.Timeout | null = null;
  #healTimer: NodeJS.Timeout | null = null;
  #healAttempt = 0;
  #setting = false;
  #started: Promise<void> | null = null;
  #stopped: Promise<void> | null = null;

  constructor(options: PresenceLinkOptions) {
    this.#o = options;
  }

  /** The server-named queue the open channel consumes, or null while there is none. */
  get queue(): string | null {
    return this.#channel === null ? null : this.#queue;
  }

  /** The open channel, or null while disconnected or stopped. */
  get channel(): Channel | null {
    return this.#channel;
  }

  start(): Promise<void> {
    if (this.#stopped !== null) {
      return Promise.reject(new RpcError('RPC_CLOSED', `${this.#o.what} stopped`));
    }
    this.#started ??= this.#start().catch((err: unknown) => {
      // A failed start leaves nothing open, so start() may be called again.
      this.#started = null;
      throw err;
    });
    return this.#started;
  }

  async #start(): Promise<void> {
    const conn = new AmqpConnection(this.#o.settings, this.#o.log);
    this.#conn = conn;
    try {
      await conn.openWith(
        (model) => this.#setup(model),
        () => {
          this.#healAttempt = 0;
          this.#heal();
        },
      );
    } catch (err) {
      this.#channel = null;
      this.#conn = null;
      throw err;
    }
    this.#timer = setInterval(this.#o.onTick, this.#o.tickMs);
    // Presence alone should not keep a process alive.
    this.#timer.unref();
  }

  async #setup(model: ChannelModel): Promise<void> {
    const o = this.#o;
    await ensureFanoutExchanges(model, [o.exchange, o.probeExchange]);
    const channel = await model.createChannel();
    channel.on('error', (err: Error) => o.log.warn({ err }, 'presence channel error'));
    channel.on('close', () => {
      if (this.#channel !== channel) return;
      this.#channel = null;
      // The connection is up but this channel is gone: open another. After a connection loss
      // the reconnect does it instead.
      if (this.#stopped === null && this.#conn?.model != null) this.#healLater();
    });
    let queue: string;
    try {
      ({ queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true }));
      await channel.bindQueue(queue, o.listenTo, '');
      await channel.consume(queue, (message) => this.#onMessage(channel, message), {
        noAck: true,
      });
    } catch (err) {
      await closeChannel(channel);
      throw err;
    }
    this.#channel = channel;
    this.#queue = queue;
    this.#healAttempt = 0;
    o.onChannel(channel, queue);
  }

  #onMessage(channel: Channel, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled our consumer (its queue went): a fresh channel starts over.
      void closeChannel(channel);
      return;
    }
    this.#o.onMessage(message);
  }

  /** Sets up a channel now unless one is open or being opened; retries with backoff. */
  #heal(): void {
    const model = this.#conn?.model;
    if (model == null || this.#channel !== null || this.#setting || this.#stopped !== null) return;
    this.#setting = true;
    this.#setup(model)
      .catch((err: unknown) => {
        this.#o.log.warn({ err }, `${this.#o.what} setup failed`);
        this.#healLater();
      })
      .finally(() => {
        this.#setting = false;
      });
  }

  #healLater(): void {
    if (this.#stopped !== null || this.#healTimer !== null) return;
    const s = this.#o.settings;
    const delay = backoffDelay(
      this.#healAttempt++,
      s.reconnectInitialDelayMs,
      s.reconnectMaxDelayMs,
    );
    this.#healTimer = setTimeout(() => {
      this.#healTimer = null;
      this.#heal();
    }, delay);
  }

  /** Stops the timer, runs `last` (a goodbye) while the channel is still open, then closes. */
  stop(last?: () => void): Promise<void> {
    this.#stopped ??= this.#stop(last);
    return this.#stopped;
  }

  async #stop(last?: () => void): Promise<void> {
    await this.#started?.catch(() => undefined);
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#healTimer !== null) clearTimeout(this.#healTimer);
    this.#healTimer = null;
    last?.();
    const channel = this.#channel;
    this.#channel = null;
    // Channel first: its close-ok proves the broker took what was published last; closing only
    // the connection can drop it.
    if (channel !== null) await closeChannel(channel);
    await this.#conn?.close();
  }
}
