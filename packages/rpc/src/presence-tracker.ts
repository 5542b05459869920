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
  'logger',
  'connectionName',
  'tls',
]);
const SWEEP_MS = 500;

/**
 * Tracks the services that announce themselves. Emits 'change' (service) when a service
 * appears, its meta changes, or one of its instances comes, goes, expires or flips readiness.
 */
export class PresenceTracker<TMeta> extends EventEmitter {
  readonly #log: Logger;
  readonly #ttlFactor: number;
  readonly #services = new Map<string, Service<TMeta>>();
  readonly #link: PresenceLink;

  constructor(options: PresenceTrackerOptions = {}) {
    super();
    const o = checkObject('PresenceTracker options', options, KEYS);
    const exchange = str(o, 'exchange', DEFAULT_PRESENCE_EXCHANGE, 255);
    const probeExchange = str(o, 'probeExchange', DEFAULT_PROBE_EXCHANGE, 255);
    this.#ttlFactor = int(o, 'ttlFactor', 3, 1, 1000);
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
      onChannel: (channel: Channel) =>
        channel.publish(probeExchange, '', Buffer.from('{"kind":"probe"}'), {
          contentType: CONTENT_TYPE,
          persistent: false,
        }),
      onTick: () => this.#sweep(),
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

  #alive(instance: Instance, now: number): boolean {
    return now - instance.lastSeen <= this.#ttlFactor * instance.intervalMs;
  }

  #onMessage(message: ConsumeMessage | null): void {
    if (message === null) return;
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
