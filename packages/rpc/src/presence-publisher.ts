import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel } from 'amqplib';
import { AmqpConnection, closeChannel } from './connection.js';
import { CONTENT_TYPE } from './envelope.js';
import { RpcError } from './errors.js';
import type { Logger } from './logger.js';
import { resolveLogger } from './logger.js';
import type { ConnectionSettings } from './options.js';
import { checkObject, connectionSettings, DEFAULT_URL, fn, int, logger, str } from './options.js';
import type { PresenceAnnouncement } from './presence.js';
import { DEFAULT_PRESENCE_EXCHANGE, DEFAULT_PROBE_EXCHANGE } from './presence.js';

export interface PresencePublisherOptions<TMeta> {
  /** Default `'amqp://guest:guest@127.0.0.1:5672'`. */
  url?: string;
  /** Fanout exchange for announcements. Default `'mlapi.presence'`. */
  exchange?: string;
  /** Fanout exchange trackers probe on. Default `'mlapi.presence.probe'`. */
  probeExchange?: string;
  /** Heartbeat interval. Default 1000. */
  intervalMs?: number;
  /** The RPC queue this process serves. */
  service: string;
  /** Sent with every announcement. */
  meta: () => TMeta;
  /** Whether this process can take calls now. */
  ready: () => boolean;
  logger?: Logger | null;
  /** Default `'mlapi-presence-publisher'`. */
  connectionName?: string;
}

const KEYS = new Set([
  'url',
  'exchange',
  'probeExchange',
  'intervalMs',
  'service',
  'meta',
  'ready',
  'logger',
  'connectionName',
]);

/** Announces a service instance on start, every intervalMs, on every probe, and a goodbye on stop. */
export class PresencePublisher<TMeta> {
  readonly instance = randomUUID();
  readonly #settings: ConnectionSettings;
  #conn: AmqpConnection | null = null;
  readonly #log: Logger;
  readonly #exchange: string;
  readonly #probeExchange: string;
  readonly #intervalMs: number;
  readonly #service: string;
  readonly #meta: () => TMeta;
  readonly #ready: () => boolean;
  #channel: Channel | null = null;
  #timer: NodeJS.Timeout | null = null;
  #started: Promise<void> | null = null;
  #stopped: Promise<void> | null = null;

  constructor(options: PresencePublisherOptions<TMeta>) {
    const o = checkObject('PresencePublisher options', options, KEYS);
    this.#service = str(o, 'service', '', 255);
    if (this.#service === '') throw new TypeError('option "service" is required');
    this.#exchange = str(o, 'exchange', DEFAULT_PRESENCE_EXCHANGE, 255);
    this.#probeExchange = str(o, 'probeExchange', DEFAULT_PROBE_EXCHANGE, 255);
    this.#intervalMs = int(o, 'intervalMs', 1000, 10, 3_600_000);
    this.#meta = fn(o, 'meta');
    this.#ready = fn(o, 'ready');
    this.#log = resolveLogger(logger(o));
    const settings = connectionSettings(o, {
      url: DEFAULT_URL,
      heartbeatSeconds: 10,
      reconnectInitialDelayMs: 100,
      reconnectMaxDelayMs: 5000,
      connectionName: 'mlapi-presence-publisher',
    });
    this.#settings = settings;
  }

  start(): Promise<void> {
    if (this.#stopped !== null) {
      return Promise.reject(new RpcError('RPC_CLOSED', 'presence publisher stopped'));
    }
    this.#started ??= this.#start().catch((err: unknown) => {
      // A failed start leaves nothing open, so start() may be called again.
      this.#started = null;
      throw err;
    });
    return this.#started;
  }

  async #start(): Promise<void> {
    // Each attempt has its own connection, closed if the attempt fails.
    const conn = new AmqpConnection(this.#settings, this.#log);
    this.#conn = conn;
    try {
      await conn.openWith(
        (model) => this.#setup(model),
        (model) => {
          if (this.#channel !== null || this.#stopped !== null) return;
          this.#setup(model).catch((err: unknown) =>
            this.#log.warn({ err }, 'presence publisher setup failed'),
          );
        },
      );
    } catch (err) {
      this.#channel = null;
      this.#conn = null;
      throw err;
    }
    this.#timer = setInterval(() => this.announce(), this.#intervalMs);
    // Presence alone should not keep a process alive.
    this.#timer.unref();
  }

  async #setup(model: ChannelModel): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', (err: Error) => this.#log.warn({ err }, 'presence channel error'));
    channel.on('close', () => {
      if (this.#channel === channel) this.#channel = null;
    });
    await channel.assertExchange(this.#exchange, 'fanout', { durable: true });
    await channel.assertExchange(this.#probeExchange, 'fanout', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, this.#probeExchange, '');
    await channel.consume(queue, () => this.announce(), { noAck: true });
    this.#channel = channel;
    this.announce();
  }

  /** Publishes an announcement now (also called by the timer and on every probe). */
  announce(kind: 'announce' | 'goodbye' = 'announce'): void {
    const channel = this.#channel;
    if (channel === null) return;
    try {
      const message: PresenceAnnouncement<TMeta> = {
        kind,
        service: this.#service,
        instance: this.instance,
        ready: kind === 'announce' && this.#ready() === true,
        intervalMs: this.#intervalMs,
        ts: Date.now(),
        meta: this.#meta(),
      };
      channel.publish(this.#exchange, '', Buffer.from(JSON.stringify(message)), {
        contentType: CONTENT_TYPE,
        persistent: false,
      });
    } catch (err) {
      this.#log.warn({ err }, 'presence announce failed');
    }
  }

  /** Sends a goodbye and closes. */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    await this.#started?.catch(() => undefined);
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.announce('goodbye');
    const channel = this.#channel;
    this.#channel = null;
    // Channel first: its close-ok proves the broker took the goodbye; closing only the
    // connection can drop it.
    if (channel !== null) await closeChannel(channel);
    await this.#conn?.close();
  }
}
