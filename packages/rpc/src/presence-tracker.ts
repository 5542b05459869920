import { EventEmitter } from 'node:events';
import type { Channel, ConsumeMessage } from 'amqplib';
import { CONTENT_TYPE } from './envelope.js';
import type { Logger } from './logger.js';
import { resolveLogger } from './logger.js';
import { checkObject, connectionSettings, DEFAULT_URL, int, logger, str } from './options.js';
import {
  DEFAULT_PRESENCE_EXCHANGE,
  DEFAULT_PROBE_EXCHANGE,
  parseAnnouncement,
} from './presence.js';
import { PresenceLink } from './presence-link.js';
import type { TlsMaterial } from './tls.js';

export interface PresenceTrackerOptions {
  /** Default `'amqp://guest:guest@127.0.0.1:5672'`. */
  url?: string;
  /** For an amqps:// url: CA and optional client certificate and key (see readTlsFiles). */
  tls?: TlsMaterial;
  /** Fanout exchange for announcements. Default `'mlapi.presence'`. */
  exchange?: string;
  /** Fanout exchange to probe on at start. Default `'mlapi.presence.probe'`. */
  probeExchange?: string;
  /** An instance is live while heard within ttlFactor × its intervalMs. Default 3. */
  ttlFactor?: number;
  /**
   * The longest liveness window any announcement is granted, whatever intervalMs it claims: a
   * worker announcing `intervalMs: 3600000` must not count as live for three hours after it
   * died. Default 30000.
   */
  maxLivenessMs?: number;
  /**
   * How often the tracker sends itself an echo (to its own presence queue), so silentForMs()
   * proves the listening path works even when no worker is announcing. Default 2000.
   */
  echoMs?: number;
  logger?: Logger | null;
  /** Default `'mlapi-presence-tracker'`. */
  connectionName?: string;
}

interface Instance {
  ready: boolean;
  intervalMs: number;
  lastSeen: number;
}

interface Service<TMeta> {
  meta: TMeta | undefined;
  metaJson: string;
  instances: Map<string, Instance>;
}

const KEYS = new Set([
  'url',
  'exchange',
  'probeExchange',
  'ttlFactor',
  'maxLivenessMs',
  'echoMs',
  'logger',
  'connectionName',
  'tls',
]);
/** AMQP `type` of the tracker's echo: not an announcement, only proof the path is open. */
const ECHO_TYPE = 'mlapi.presence.echo';
const SWEEP_MS = 500;

/**
 * Tracks the services that announce themselves. Emits 'change' (service) when a service
 * appears, its meta changes, or one of its instances comes, goes, expires or flips readiness.
 */
export class PresenceTracker<TMeta> extends EventEmitter {
  readonly #log: Logger;
  readonly #ttlFactor: number;
  readonly #maxLivenessMs: number;
  readonly #echoMs: number;
  #lastHeard = 0;
  #lastEcho = 0;
  readonly #services = new Map<string, Service<TMeta>>();
  readonly #link: PresenceLink;

  constructor(options: PresenceTrackerOptions = {}) {
    super();
    const o = checkObject('PresenceTracker options', options, KEYS);
    const exchange = str(o, 'exchange', DEFAULT_PRESENCE_EXCHANGE, 255);
    const probeExchange = str(o, 'probeExchange', DEFAULT_PROBE_EXCHANGE, 255);
    this.#ttlFactor = int(o, 'ttlFactor', 3, 1, 1000);
    this.#maxLivenessMs = int(o, 'maxLivenessMs', 30_000, 1, 86_400_000);
    this.#echoMs = int(o, 'echoMs', 2000, 10, 3_600_000);
    this.#log = resolveLogger(logger(o));
    this.#link = new PresenceLink({
      settings: connectionSettings(o, {
        url: DEFAULT_URL,
        heartbeatSeconds: 10,
        reconnectInitialDelayMs: 100,
        reconnectMaxDelayMs: 5000,
        connectionName: 'mlapi-presence-tracker',
      }),
      log: this.#log,
      what: 'presence tracker',
      exchange,
      probeExchange,
      listenTo: exchange,
      onMessage: (message) => this.#onMessage(message),
      // Publishers answer a probe at once, so the live set is known in one round trip, not one
      // interval.
      onChannel: (channel: Channel, queue: string) => {
        channel.publish(probeExchange, '', Buffer.from('{"kind":"probe"}'), {
          contentType: CONTENT_TYPE,
          persistent: false,
        });
        // A fresh channel proves itself at once, not one echo interval later.
        this.#lastEcho = 0;
        this.#echo(channel, queue);
      },
      onTick: () => {
        this.#sweep();
        this.#echo(this.#link.channel, this.#link.queue);
      },
      tickMs: SWEEP_MS,
    });
  }

  /** Connects and probes for live publishers. */
  start(): Promise<void> {
    return this.#link.start();
  }

  stop(): Promise<void> {
    return this.#link.stop();
  }

  services(): string[] {
    return [...this.#services.keys()];
  }

  meta(service: string): TMeta | undefined {
    return this.#services.get(service)?.meta;
  }

  liveInstances(service: string): number {
    const entry = this.#services.get(service);
    if (entry === undefined) return 0;
    const now = Date.now();
    let live = 0;
    for (const instance of entry.instances.values()) {
      if (instance.ready && this.#alive(instance, now)) live++;
    }
    return live;
  }

  /**
   * Milliseconds since the tracker last heard anything on the presence exchange (an
   * announcement, or its own echo); Infinity before it ever has. A tracker whose channel is gone
   * goes quiet here even while the connection looks up.
   */
  silentForMs(now = Date.now()): number {
    return this.#lastHeard === 0 ? Number.POSITIVE_INFINITY : Math.max(0, now - this.#lastHeard);
  }

  #alive(instance: Instance, now: number): boolean {
    const window = Math.min(this.#ttlFactor * instance.intervalMs, this.#maxLivenessMs);
    return now - instance.lastSeen <= window;
  }

  /**
   * Sends the echo straight to the tracker's own presence queue through the default exchange: a
   * gateway may not publish on the presence exchange (only workers announce, least privilege),
   * and a refused publish would close the very channel the echo is meant to prove.
   */
  #echo(channel: Channel | null, queue: string | null): void {
    const now = Date.now();
    if (channel === null || queue === null || now - this.#lastEcho < this.#echoMs) return;
    this.#lastEcho = now;
    try {
      channel.sendToQueue(queue, Buffer.from('{}'), { type: ECHO_TYPE, persistent: false });
    } catch (err) {
      // The channel closed under us; the link opens another.
      this.#log.debug({ err }, 'presence echo on a closed channel');
    }
  }

  #onMessage(message: ConsumeMessage): void {
    this.#lastHeard = Date.now();
    if (message.properties.type === ECHO_TYPE) return;
    const a = parseAnnouncement(message.content);
    if (a === null) {
      this.#log.debug({}, 'presence: ignored a message that is not an announcement');
      return;
    }
    let changed = false;
    let entry = this.#services.get(a.service);
    if (entry === undefined) {
      entry = { meta: undefined, metaJson: '', instances: new Map() };
      this.#services.set(a.service, entry);
      changed = true;
    }
    if (a.kind === 'goodbye') {
      if (entry.instances.delete(a.instance)) changed = true;
    } else {
      const metaJson = JSON.stringify(a.meta) ?? '';
      if (metaJson !== entry.metaJson) {
        entry.meta = a.meta as TMeta;
        entry.metaJson = metaJson;
        changed = true;
      }
      const instance = entry.instances.get(a.instance);
      // Our own clock, not the sender's ts: clocks across machines disagree.
      const now = Date.now();
      if (instance === undefined) {
        entry.instances.set(a.instance, {
          ready: a.ready,
          intervalMs: a.intervalMs,
          lastSeen: now,
        });
        changed = true;
      } else {
        if (instance.ready !== a.ready) changed = true;
        instance.ready = a.ready;
        instance.intervalMs = a.intervalMs;
        instance.lastSeen = now;
      }
    }
    if (changed) this.emit('change', a.service);
  }

  #sweep(): void {
    const now = Date.now();
    for (const [service, entry] of this.#services) {
      let changed = false;
      for (const [id, instance] of entry.instances) {
        if (!this.#alive(instance, now)) {
          entry.instances.delete(id);
          changed = true;
        }
      }
      if (changed) this.emit('change', service);
    }
  }
}
