import { EventEmitter } from 'node:events';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { AmqpConnection } from './connection.js';
import { CONTENT_TYPE } from './envelope.js';
import { RpcError } from './errors.js';
import type { Logger } from './logger.js';
import { resolveLogger } from './logger.js';
import type { ConnectionSettings } from './options.js';
import { checkObject, connectionSettings, DEFAULT_URL, int, logger, str } from './options.js';
import {
  DEFAULT_PRESENCE_EXCHANGE,
  DEFAULT_PROBE_EXCHANGE,
  parseAnnouncement,
} from './presence.js';

export interface PresenceTrackerOptions {
  /** Default `'amqp://guest:guest@127.0.0.1:5672'`. */
  url?: string;
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

const KEYS = new Set(['url', 'exchange', 'probeExchange', 'ttlFactor', 'logger', 'connectionName']);
const SWEEP_MS = 500;

/**
 * Tracks the services that announce themselves. Emits 'change' (service) when a service
 * appears, its meta changes, or one of its instances comes, goes, expires or flips readiness.
 */
export class PresenceTracker<TMeta> extends EventEmitter {
  readonly #settings: ConnectionSettings;
  #conn: AmqpConnection | null = null;
  readonly #log: Logger;
  readonly #exchange: string;
  readonly #probeExchange: string;
  readonly #ttlFactor: number;
  readonly #services = new Map<string, Service<TMeta>>();
  #channel: Channel | null = null;
  #timer: NodeJS.Timeout | null = null;
  #started: Promise<void> | null = null;
  #stopped: Promise<void> | null = null;

  constructor(options: PresenceTrackerOptions = {}) {
    super();
    const o = checkObject('PresenceTracker options', options, KEYS);
    this.#exchange = str(o, 'exchange', DEFAULT_PRESENCE_EXCHANGE, 255);
    this.#probeExchange = str(o, 'probeExchange', DEFAULT_PROBE_EXCHANGE, 255);
    this.#ttlFactor = int(o, 'ttlFactor', 3, 1, 1000);
    this.#log = resolveLogger(logger(o));
    const settings = connectionSettings(o, {
      url: DEFAULT_URL,
      heartbeatSeconds: 10,
      reconnectInitialDelayMs: 100,
      reconnectMaxDelayMs: 5000,
      connectionName: 'mlapi-presence-tracker',
    });
    this.#settings = settings;
  }

  start(): Promise<void> {
    if (this.#stopped !== null) {
      return Promise.reject(new RpcError('RPC_CLOSED', 'presence tracker stopped'));
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
            this.#log.warn({ err }, 'presence tracker setup failed'),
          );
        },
      );
    } catch (err) {
      this.#channel = null;
      this.#conn = null;
      throw err;
    }
    this.#timer = setInterval(() => this.#sweep(), SWEEP_MS);
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
    await channel.bindQueue(queue, this.#exchange, '');
    await channel.consume(queue, (message) => this.#onMessage(message), { noAck: true });
    this.#channel = channel;
    // Publishers answer at once, so the live set is known in one round trip, not one interval.
    channel.publish(this.#probeExchange, '', Buffer.from('{"kind":"probe"}'), {
      contentType: CONTENT_TYPE,
      persistent: false,
    });
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

  async stop(): Promise<void> {
    this.#stopped ??= (async () => {
      await this.#started?.catch(() => undefined);
      if (this.#timer !== null) clearInterval(this.#timer);
      this.#timer = null;
      this.#channel = null;
      await this.#conn?.close();
    })();
    return this.#stopped;
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
