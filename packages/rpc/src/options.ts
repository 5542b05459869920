import type { Logger } from './logger.js';
import { type TlsMaterial, tlsOption } from './tls.js';

export interface RpcClientOptions {
  /**
   * Broker URL, or a comma-separated list of a cluster's nodes: the client connects to any
   * that answers and moves to another when its node dies. Default `'amqp://guest:guest@127.0.0.1:5672'`.
   */
  url?: string;
  /** Channels in the pool, each with its own reply consumer and pending map. Default 4. */
  poolSize?: number;
  /** Per-call timeout when a call gives neither timeoutMs nor deadline. Default 30000. */
  timeoutMs?: number;
  /** Most calls published and awaiting a reply; above it calls wait for a slot. 0 = no cap (default). */
  maxInFlight?: number;
  /** AMQP heartbeat in seconds; 0 turns it off. Default 10. */
  heartbeatSeconds?: number;
  /** First reconnect delay; doubles per failed attempt, with jitter. Default 100. */
  reconnectInitialDelayMs?: number;
  /** Longest reconnect delay. Default 5000. */
  reconnectMaxDelayMs?: number;
  /** How long a call may wait for a channel (generic-pool acquireTimeoutMillis). Default 5000. */
  acquireTimeoutMs?: number;
  /** AMQP client property connection_name. Default `'mlapi-rpc-client'`. */
  connectionName?: string;
  /** Pino-compatible logger; `null` silences. Default: warnings and errors to the console. */
  logger?: Logger | null;
  /** For an amqps:// url: CA and optional client certificate and key (see readTlsFiles). */
  tls?: TlsMaterial;
}

export interface RpcServerOptions {
  /** Broker URL or a comma-separated list of nodes (see RpcClientOptions.url). */
  url?: string;
  /** The queue to declare and consume (required). */
  queue: string;
  /** AMQP prefetch: unacked messages held at once. Default 64. */
  prefetch?: number;
  /** Batches handled at once. Default 1. */
  concurrency?: number;
  /** Most messages per handleBatch call. Default 1 (no batching). */
  maxBatch?: number;
  /** How long to wait for more messages before a batch; 0 = take what has arrived. Default 0. */
  batchWindowMs?: number;
  /** Queue max length (with overflow reject-publish). Default 10000. */
  maxLength?: number;
  /**
   * `'quorum'` (default): replicated over the cluster's nodes, with a delivery limit.
   * `'classic'`: one node's queue, cheaper per message, lost with its node (for comparison).
   */
  queueType?: 'quorum' | 'classic';
  /**
   * Deliveries of one message at most (a quorum queue's delivery limit): a message whose
   * worker dies on it this many times is dead-lettered, and its caller answered. Default 3.
   */
  deliveryLimit?: number;
  /** AMQP heartbeat in seconds; 0 turns it off. Default 10. */
  heartbeatSeconds?: number;
  /** First reconnect delay. Default 100. */
  reconnectInitialDelayMs?: number;
  /** Longest reconnect delay. Default 5000. */
  reconnectMaxDelayMs?: number;
  /** AMQP client property connection_name. Default `'mlapi-rpc-server'`. */
  connectionName?: string;
  /** Pino-compatible logger; `null` silences. Default: warnings and errors to the console. */
  logger?: Logger | null;
  /** For an amqps:// url: CA and optional client certificate and key (see readTlsFiles). */
  tls?: TlsMaterial;
}

/** Connection settings shared by the client, the server and presence. */
export interface ConnectionSettings {
  /** The nodes to try, in order, each an amqp:// or amqps:// URL; at least one. */
  readonly urls: readonly string[];
  /** For amqps:// URLs: CA and client certificate (tls.ts); undefined: the system's CAs. */
  readonly tls: TlsMaterial | undefined;
  readonly heartbeatSeconds: number;
  readonly reconnectInitialDelayMs: number;
  readonly reconnectMaxDelayMs: number;
  readonly connectionName: string;
}

export interface ClientSettings extends ConnectionSettings {
  readonly poolSize: number;
  readonly timeoutMs: number;
  readonly maxInFlight: number;
  readonly acquireTimeoutMs: number;
  readonly logger: Logger | null | undefined;
}

export interface ServerSettings extends ConnectionSettings {
  readonly queue: string;
  readonly prefetch: number;
  readonly concurrency: number;
  readonly maxBatch: number;
  readonly batchWindowMs: number;
  readonly maxLength: number;
  readonly deliveryLimit: number;
  readonly queueType: 'quorum' | 'classic';
  readonly logger: Logger | null | undefined;
}

export const DEFAULT_URL = 'amqp://guest:guest@127.0.0.1:5672';
// setTimeout clamps anything larger to 1 ms, so no delay may exceed it.
export const MAX_TIMER_MS = 2_147_483_647;

export const DEFAULT_CLIENT_OPTIONS = Object.freeze({
  url: DEFAULT_URL,
  poolSize: 4,
  timeoutMs: 30_000,
  maxInFlight: 0,
  heartbeatSeconds: 10,
  reconnectInitialDelayMs: 100,
  reconnectMaxDelayMs: 5_000,
  acquireTimeoutMs: 5_000,
  connectionName: 'mlapi-rpc-client',
});

export const DEFAULT_SERVER_OPTIONS = Object.freeze({
  url: DEFAULT_URL,
  prefetch: 64,
  concurrency: 1,
  maxBatch: 1,
  batchWindowMs: 0,
  maxLength: 10_000,
  deliveryLimit: 3,
  queueType: 'quorum',
  heartbeatSeconds: 10,
  reconnectInitialDelayMs: 100,
  reconnectMaxDelayMs: 5_000,
  connectionName: 'mlapi-rpc-server',
});

const CLIENT_KEYS = new Set([...Object.keys(DEFAULT_CLIENT_OPTIONS), 'logger', 'tls']);
const SERVER_KEYS = new Set([...Object.keys(DEFAULT_SERVER_OPTIONS), 'queue', 'logger', 'tls']);

export function normalizeClientOptions(options: RpcClientOptions = {}): ClientSettings {
  const o = checkObject('RpcClientOptions', options, CLIENT_KEYS);
  const d = DEFAULT_CLIENT_OPTIONS;
  const settings: ClientSettings = {
    ...connectionSettings(o, d),
    poolSize: int(o, 'poolSize', d.poolSize, 1, 1000),
    timeoutMs: int(o, 'timeoutMs', d.timeoutMs, 1, MAX_TIMER_MS),
    maxInFlight: int(o, 'maxInFlight', d.maxInFlight, 0, 1_000_000),
    acquireTimeoutMs: int(o, 'acquireTimeoutMs', d.acquireTimeoutMs, 1, MAX_TIMER_MS),
    logger: logger(o),
  };
  return Object.freeze(settings);
}

export function normalizeServerOptions(options: RpcServerOptions): ServerSettings {
  const o = checkObject('RpcServerOptions', options, SERVER_KEYS);
  const d = DEFAULT_SERVER_OPTIONS;
  const settings: ServerSettings = {
    ...connectionSettings(o, d),
    queue: queueName(o.queue, 'queue'),
    prefetch: int(o, 'prefetch', d.prefetch, 1, 65_535),
    concurrency: int(o, 'concurrency', d.concurrency, 1, 10_000),
    maxBatch: int(o, 'maxBatch', d.maxBatch, 1, 65_535),
    batchWindowMs: int(o, 'batchWindowMs', d.batchWindowMs, 0, 60_000),
    maxLength: int(o, 'maxLength', d.maxLength, 1, 2 ** 31 - 1),
    deliveryLimit: int(o, 'deliveryLimit', d.deliveryLimit, 1, 1000),
    queueType: queueType(o.queueType ?? d.queueType),
    logger: logger(o),
  };
  return Object.freeze(settings);
}

/** Options shared by everything that opens a connection (client, server, presence). */
export function connectionSettings(
  o: Record<string, unknown>,
  d: {
    url: string;
    heartbeatSeconds: number;
    reconnectInitialDelayMs: number;
    reconnectMaxDelayMs: number;
    connectionName: string;
  },
): ConnectionSettings {
  const reconnectInitialDelayMs = int(
    o,
    'reconnectInitialDelayMs',
    d.reconnectInitialDelayMs,
    1,
    MAX_TIMER_MS,
  );
  const reconnectMaxDelayMs = int(
    o,
    'reconnectMaxDelayMs',
    Math.max(d.reconnectMaxDelayMs, reconnectInitialDelayMs),
    reconnectInitialDelayMs,
    MAX_TIMER_MS,
  );
  return {
    urls: parseBrokerUrls(o.url ?? d.url, 'url'),
    tls: tlsOption(o.tls),
    heartbeatSeconds: int(o, 'heartbeatSeconds', d.heartbeatSeconds, 0, 65_535),
    reconnectInitialDelayMs,
    reconnectMaxDelayMs,
    connectionName: str(o, 'connectionName', d.connectionName, 255),
  };
}

export function checkObject(
  what: string,
  options: unknown,
  known: ReadonlySet<string>,
): Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${what} must be an object`);
  }
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new TypeError(`unknown option "${key}"`);
  }
  return options as Record<string, unknown>;
}

export function int(
  o: Record<string, unknown>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = o[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`option "${name}" must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function str(
  o: Record<string, unknown>,
  name: string,
  fallback: string,
  maxLength: number,
): string {
  const value = o[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new TypeError(`option "${name}" must be a non-empty string of at most ${maxLength}`);
  }
  return value;
}

/**
 * Splits a broker URL list (`amqp://a:5672,amqp://b:5672`) into its URLs, each checked. One copy
 * for everything that reads AMQP_URL: the RPC client, server, presence and both services' configs.
 * @throws TypeError naming `name` when the list is empty or one entry is not amqp(s)://
 */
export function parseBrokerUrls(value: unknown, name = 'url'): string[] {
  if (typeof value !== 'string') {
    throw new TypeError(`option "${name}" must be an amqp:// or amqps:// URL, or a list of them`);
  }
  const urls = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (urls.length === 0) throw new TypeError(`option "${name}" must name at least one broker`);
  for (const entry of urls) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(entry);
    } catch {
      // reported below
    }
    if (parsed === null || (parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:')) {
      throw new TypeError(
        `option "${name}": "${redactUrl(entry)}" is not an amqp:// or amqps:// URL`,
      );
    }
  }
  return urls;
}

/** A broker URL (or list) without passwords, for log lines and messages. */
export function redactUrl(value: string): string {
  return value
    .split(',')
    .map((entry) => {
      try {
        const u = new URL(entry.trim());
        if (u.password !== '') u.password = '***';
        return u.toString();
      } catch {
        return '(unparsable URL)';
      }
    })
    .join(',');
}

function queueType(value: unknown): 'quorum' | 'classic' {
  if (value === 'quorum' || value === 'classic') return value;
  throw new TypeError('option "queueType" must be "quorum" or "classic"');
}

/** A queue name we can publish to or declare: 1..255 UTF-8 bytes, not a reserved amq.* name. */
export function queueName(value: unknown, name: string): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    Buffer.byteLength(value) > 255 ||
    value.startsWith('amq.')
  ) {
    throw new TypeError(`option "${name}" must be a queue name of 1 to 255 bytes, not amq.*`);
  }
  return value;
}

export function logger(o: Record<string, unknown>): Logger | null | undefined {
  const value = o.logger;
  if (value === undefined || value === null) return value;
  const l = value as Record<string, unknown>;
  for (const method of ['debug', 'info', 'warn', 'error']) {
    if (typeof l[method] !== 'function') {
      throw new TypeError(`option "logger" must be null or have a ${method}() method`);
    }
  }
  return value as Logger;
}

export function fn<T>(o: Record<string, unknown>, name: string): T {
  if (typeof o[name] !== 'function') throw new TypeError(`option "${name}" must be a function`);
  return o[name] as T;
}
