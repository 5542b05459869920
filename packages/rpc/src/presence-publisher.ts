import { randomUUID } from 'node:crypto';
import { CONTENT_TYPE } from './envelope.js';
import type { Logger } from './logger.js';
import { resolveLogger } from './logger.js';
import { checkObject, connectionSettings, DEFAULT_URL, fn, int, logger, str } from './options.js';
import type { PresenceAnnouncement } from './presence.js';
import { DEFAULT_PRESENCE_EXCHANGE, DEFAULT_PROBE_EXCHANGE } from './presence.js';
import { PresenceLink } from './presence-link.js';
import type { TlsMaterial } from './tls.js';

export interface PresencePublisherOptions<TMeta> {
  /** Default `'amqp://guest:guest@127.0.0.1:5672'`. */
  url?: string;
  /** For an amqps:// url: CA and optional client certificate and key (see readTlsFiles). */
  tls?: TlsMaterial;
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
  'tls',
]);

/** Announces a service instance on start, every intervalMs, on every probe, and a goodbye on stop. */
export class PresencePublisher<TMeta> {
  readonly instance = randomUUID();
  readonly #log: Logger;
  readonly #exchange: string;
  readonly #intervalMs: number;
  readonly #service: string;
  readonly #meta: () => TMeta;
  readonly #ready: () => boolean;
  readonly #link: PresenceLink;

  constructor(options: PresencePublisherOptions<TMeta>) {
    const o = checkObject('PresencePublisher options', options, KEYS);
    this.#service = str(o, 'service', '', 255);
    if (this.#service === '') throw new TypeError('option "service" is required');
    this.#exchange = str(o, 'exchange', DEFAULT_PRESENCE_EXCHANGE, 255);
    const probeExchange = str(o, 'probeExchange', DEFAULT_PROBE_EXCHANGE, 255);
    this.#intervalMs = int(o, 'intervalMs', 1000, 10, 3_600_000);
    this.#meta = fn(o, 'meta');
    this.#ready = fn(o, 'ready');
    this.#log = resolveLogger(logger(o));
    const announce = (): void => this.announce();
    this.#link = new PresenceLink({
      settings: connectionSettings(o, {
        url: DEFAULT_URL,
        heartbeatSeconds: 10,
        reconnectInitialDelayMs: 100,
        reconnectMaxDelayMs: 5000,
        connectionName: 'mlapi-presence-publisher',
      }),
      log: this.#log,
      what: 'presence publisher',
      exchange: this.#exchange,
      probeExchange,
      // A probe is answered at once, so a new tracker knows us in one round trip.
      listenTo: probeExchange,
      onMessage: announce,
      onChannel: announce,
      onTick: announce,
      tickMs: this.#intervalMs,
    });
  }

  /** Connects and announces; resolves once the first announcement is out. */
  start(): Promise<void> {
    return this.#link.start();
  }

  /** Publishes an announcement now (also called by the timer and on every probe). */
  announce(kind: 'announce' | 'goodbye' = 'announce'): void {
    const channel = this.#link.channel;
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
    return this.#link.stop(() => this.announce('goodbye'));
  }
}
