import { EventEmitter } from 'node:events';
import type { Channel, ChannelModel } from 'amqplib';
import { connect } from 'amqplib';
import { RpcError } from './errors.js';
import type { Logger } from './logger.js';
import type { ConnectionSettings } from './options.js';
import { redactUrl } from './options.js';
import { coalesceWrites } from './write-coalescing.js';

/**
 * Closes a channel; settles when it is closed, whichever way. amqplib's close() never settles
 * when the connection dies while the close is under way, but 'close' is emitted either way.
 */
export function closeChannel(ch: Channel): Promise<void> {
  return new Promise((resolve) => {
    ch.once('close', () => resolve());
    ch.close().then(
      () => resolve(),
      () => resolve(),
    );
  });
}

/**
 * Resolves in a later event-loop turn than this one. libuv releases closed handles in the
 * close phase, after this turn's I/O, microtasks and immediates, but before the next turn's
 * timers.
 */
function afterThisTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Backoff for attempt n (0-based): exponential, capped, with equal jitter (half fixed, half random). */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  const exp = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(exp / 2 + (Math.random() * exp) / 2);
}

/**
 * One AMQP connection that reconnects by itself, shared by the client, the server and presence.
 * Events: 'connect' (model), 'disconnect' (err), 'reconnect-scheduled' ({delayMs, attempt}),
 * 'connect-failed' (err), 'blocked' (reason), 'unblocked'.
 */
export class AmqpConnection extends EventEmitter {
  readonly #settings: ConnectionSettings;
  readonly #log: Logger;
  #model: ChannelModel | null = null;
  #node: string | null = null;
  #opening: Promise<ChannelModel> | null = null;
  #closed = false;
  #attempt = 0;
  // The node to try first: random at start so a fleet spreads over the cluster, then the one
  // after a node that failed or died, so a reconnect moves away from it.
  #nextUrl: number;
  #timer: NodeJS.Timeout | null = null;
  #waiters: Array<(model: ChannelModel | null) => void> = [];

  constructor(settings: ConnectionSettings, log: Logger) {
    super();
    this.#settings = settings;
    this.#log = log;
    this.#nextUrl = Math.floor(Math.random() * settings.urls.length);
  }

  /** The node this connection is on (password hidden), or null while disconnected. */
  get node(): string | null {
    return this.#node;
  }

  get model(): ChannelModel | null {
    return this.#model;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The first connection: rejects RPC_UNAVAILABLE if the broker cannot be reached now. */
  async open(): Promise<ChannelModel> {
    if (this.#closed) throw new RpcError('RPC_CLOSED', 'connection closed');
    if (this.#model !== null) return this.#model;
    try {
      return await this.#connect();
    } catch (cause) {
      // amqplib has destroyed the socket, but its handle is only released later in this loop
      // turn; wait for that, so a caller that gives up and closes leaves no handle behind.
      await afterThisTurn();
      if (cause instanceof RpcError) throw cause;
      throw new RpcError('RPC_UNAVAILABLE', 'cannot connect to the broker', { cause });
    }
  }

  /**
   * Opens the connection and runs `setup` on it; every later reconnect hands its new model to
   * `onReconnect`. If the first setup fails the connection is closed, so the owner can start over
   * with a fresh one (each start attempt owns its own connection).
   */
  async openWith(
    setup: (model: ChannelModel) => Promise<void>,
    onReconnect: (model: ChannelModel) => void,
  ): Promise<void> {
    // The first 'connect' is the one open() makes, set up below; only later ones are reconnects.
    let first = true;
    this.on('connect', (model: ChannelModel) => {
      if (first) first = false;
      else onReconnect(model);
    });
    try {
      await setup(await this.open());
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** The live model now or after the next reconnect; null once closed. */
  ready(): Promise<ChannelModel | null> {
    if (this.#closed) return Promise.resolve(null);
    if (this.#model !== null) return Promise.resolve(this.#model);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Waits `ms`, or less if the connection closes first. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#closed) return resolve();
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.off('closed', done);
        resolve();
      }
      this.once('closed', done);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#wake(null);
    this.emit('closed');
    const opening = this.#opening;
    if (opening !== null) await opening.catch(() => undefined);
    const model = this.#model;
    this.#model = null;
    if (model !== null) {
      await new Promise<void>((resolve) => {
        // 'close' also covers a socket that dies before close-ok arrives.
        model.once('close', () => resolve());
        model.close().then(
          () => resolve(),
          () => resolve(),
        );
      });
    }
  }

  #connect(): Promise<ChannelModel> {
    if (this.#opening === null) {
      this.#opening = this.#dial().finally(() => {
        this.#opening = null;
      });
    }
    return this.#opening;
  }

  /** Tries every node once, starting with #nextUrl; rejects with the last node's error. */
  async #dial(): Promise<ChannelModel> {
    const s = this.#settings;
    const urls = s.urls;
    let lastError: unknown = null;
    let model: ChannelModel | null = null;
    let index = this.#nextUrl;
    for (let tried = 0; tried < urls.length && model === null; tried++) {
      index = (this.#nextUrl + tried) % urls.length;
      try {
        model = await connect(withHeartbeat(urls[index] as string, s.heartbeatSeconds), {
          // For amqps:// only: amqplib hands these to tls.connect; plain amqp:// ignores them.
          ...s.tls,
          // Without noDelay, Nagle holds small frames back ~40 ms per round trip.
          noDelay: true,
          timeout: 10_000,
          clientProperties: { connection_name: s.connectionName },
        });
      } catch (err) {
        lastError = err;
        if (this.#closed) break;
        if (urls.length > 1) {
          this.#log.debug({ err, node: redactUrl(urls[index] as string) }, 'amqp node refused');
        }
      }
    }
    if (model === null) {
      this.#nextUrl = (index + 1) % urls.length;
      throw lastError;
    }
    // Next time (this node died, or a reconnect), start with the node after this one.
    this.#nextUrl = (index + 1) % urls.length;
    this.#node = redactUrl(urls[index] as string);
    if (this.#closed) {
      await model.close().catch(() => undefined);
      throw new RpcError('RPC_CLOSED', 'connection closed');
    }
    // On a mismatch it warns (once per process) and leaves amqplib's plain write path.
    coalesceWrites(model, this.#log);
    model.on('error', (err: Error) => this.#log.warn({ err }, 'amqp connection error'));
    model.on('blocked', (reason: string) => {
      this.#log.warn({ reason }, 'amqp connection blocked by the broker');
      this.emit('blocked', reason);
    });
    model.on('unblocked', () => this.emit('unblocked'));
    model.once('close', (err?: Error) => this.#onClose(model, err));
    this.#model = model;
    this.#attempt = 0;
    this.#log.debug({ connectionName: s.connectionName, node: this.#node }, 'amqp connected');
    this.emit('connect', model);
    this.#wake(model);
    return model;
  }

  #wake(model: ChannelModel | null): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve(model);
  }

  #onClose(model: ChannelModel, err: Error | undefined): void {
    if (this.#model !== model) return;
    this.#model = null;
    this.#node = null;
    if (this.#closed) return;
    const error = err ?? new Error('connection closed');
    this.#log.warn({ err: error }, 'amqp connection lost');
    this.emit('disconnect', error);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== null) return;
    const s = this.#settings;
    const attempt = this.#attempt++;
    const delayMs = backoffDelay(attempt, s.reconnectInitialDelayMs, s.reconnectMaxDelayMs);
    this.emit('reconnect-scheduled', { delayMs, attempt: attempt + 1 });
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#connect().catch((err: unknown) => {
        if (this.#closed) return;
        this.#log.warn({ err }, 'amqp reconnect failed');
        this.emit('connect-failed', err);
        this.#schedule();
      });
    }, delayMs);
  }
}

/** The URL with our heartbeat unless it sets its own. */
function withHeartbeat(value: string, heartbeatSeconds: number): string {
  const url = new URL(value);
  if (!url.searchParams.has('heartbeat')) {
    url.searchParams.set('heartbeat', String(heartbeatSeconds));
  }
  return url.toString();
}
