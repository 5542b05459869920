import type { Pool } from 'generic-pool';
import { createPool } from 'generic-pool';
import type { AmqpConnection } from './connection.js';
import { backoffDelay } from './connection.js';
import type { Logger } from './logger.js';
import type { ClientSettings } from './options.js';
import type { ReplyOwner } from './reply-channel.js';
import { ReplyChannel } from './reply-channel.js';

/**
 * The client's open reply channels. Channels are shared, not borrowed per call: generic-pool
 * creates and destroys them (with acquireTimeoutMillis), the set keeps the ones it acquired and
 * hands them out round-robin, so the hot path never awaits the pool. A channel that closes is
 * dropped and replaced, with backoff, while the connection lives.
 */
export class ChannelSet {
  readonly #s: ClientSettings;
  readonly #log: Logger;
  readonly #conn: AmqpConnection;
  readonly #owner: ReplyOwner;
  readonly #onAdded: () => void;
  readonly #pool: Pool<ReplyChannel>;
  #ready: ReplyChannel[] = [];
  #next = 0;
  #filling = 0;
  #refillTimer: NodeJS.Timeout | null = null;
  #refillAttempt = 0;
  #closed = false;
  /** Settles when the last refill() has acquired (or failed to acquire) every channel it asked for. */
  filled: Promise<void> = Promise.resolve();

  constructor(
    settings: ClientSettings,
    log: Logger,
    conn: AmqpConnection,
    owner: ReplyOwner,
    onAdded: () => void,
  ) {
    this.#s = settings;
    this.#log = log;
    this.#conn = conn;
    this.#owner = owner;
    this.#onAdded = onAdded;
    this.#pool = createPool<ReplyChannel>(
      {
        create: () => this.#create(),
        destroy: (channel) => channel.close(),
      },
      {
        max: settings.poolSize,
        min: 0,
        // Without it, acquire() waits forever when create keeps failing.
        acquireTimeoutMillis: settings.acquireTimeoutMs,
      },
    );
  }

  /** Open channels. */
  get size(): number {
    return this.#ready.length;
  }

  /** A writable channel, round-robin, or null when none is. */
  writable(): ReplyChannel | null {
    const ready = this.#ready;
    const n = ready.length;
    for (let i = 0; i < n; i++) {
      const channel = ready[this.#next] as ReplyChannel;
      this.#next = this.#next + 1 === n ? 0 : this.#next + 1;
      if (channel.writable) return channel;
    }
    return null;
  }

  /** Starts over after a (re)connect: the next failure backs off from the start. */
  connected(): void {
    this.#refillAttempt = 0;
    this.refill();
  }

  /** Acquires channels until the set is full again. */
  refill(): void {
    if (this.#closed || this.#conn.model === null) return;
    const pool = this.#pool;
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
          this.#onAdded();
        },
        (err: unknown) => {
          this.#filling--;
          this.#log.warn({ err }, 'rpc channel acquire failed');
          this.#refillLater();
        },
      );
      acquires.push(acquire);
    }
    this.filled = Promise.all(acquires).then(() => undefined);
  }

  /** Drops a channel that closed; a replacement follows while the connection is up. */
  remove(channel: ReplyChannel): void {
    const index = this.#ready.indexOf(channel);
    if (index !== -1) {
      this.#ready.splice(index, 1);
      this.#next = 0;
      this.#pool.destroy(channel).catch(() => undefined);
    }
    // A channel can die alone (a channel error) while the connection lives on.
    if (!this.#closed && this.#conn.model !== null) this.#refillLater();
  }

  /** Stops refilling and takes the open channels out; close them with destroy(). */
  takeAll(): ReplyChannel[] {
    this.#closed = true;
    if (this.#refillTimer !== null) clearTimeout(this.#refillTimer);
    this.#refillTimer = null;
    const channels = this.#ready;
    this.#ready = [];
    return channels;
  }

  /** Closes channels taken out by takeAll(), then empties the pool. */
  async destroy(channels: readonly ReplyChannel[]): Promise<void> {
    const pool = this.#pool;
    await Promise.all(channels.map((channel) => pool.destroy(channel).catch(() => undefined)));
  }

  async clear(): Promise<void> {
    this.#closed = true;
    await this.#pool.drain();
    await this.#pool.clear();
  }

  async #create(): Promise<ReplyChannel> {
    const conn = this.#conn;
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

  #refillLater(): void {
    if (this.#closed || this.#refillTimer !== null) return;
    const delay = backoffDelay(
      this.#refillAttempt++,
      this.#s.reconnectInitialDelayMs,
      this.#s.reconnectMaxDelayMs,
    );
    this.#refillTimer = setTimeout(() => {
      this.#refillTimer = null;
      this.refill();
    }, delay);
  }
}
