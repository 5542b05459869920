import { readTlsFiles, type TlsFiles, TlsFilesError, type TlsMaterial } from '@mlapi/rpc';

/** The gateway's configuration, read once from the environment at start-up. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly amqpUrl: string;
  /** For an amqps:// AMQP_URL: CA and client certificate from AMQP_TLS_*_FILE; null: none given. */
  readonly amqpTls: TlsMaterial | null;
  /** null: the bounded in-process cache and in-process rate-limit counters. */
  readonly redisUrl: string | null;
  /** For a rediss:// REDIS_URL: CA and client certificate from REDIS_TLS_*_FILE; null: none given. */
  readonly redisTls: TlsMaterial | null;
  readonly cacheTtlSeconds: number;
  readonly cacheMaxEntries: number;
  /** Requests per window per API key (or IP); 0 disables rate limiting. */
  readonly rateLimitMax: number;
  readonly rateLimitWindowMs: number;
  readonly apiKeyHeader: string;
  readonly deadlineDefaultMs: number;
  readonly deadlineMaxMs: number;
  readonly bodyLimitBytes: number;
  readonly maxRowsPerRequest: number;
  readonly rpcPoolSize: number;
  /**
   * Rows one broker message may carry when concurrent requests for a model are coalesced into
   * one message; 0 turns coalescing off (one message per request). Keep it at or below the
   * workers' MAX_ROWS_PER_REQUEST.
   */
  readonly coalesceMaxRows: number;
  /** How long a coalesced batch waits for company; 0: only what arrives in the same turn. */
  readonly coalesceWindowMs: number;
  readonly shutdownGraceMs: number;
  readonly logLevel: LogLevel;
  /** Trust X-Forwarded-For for the client IP (behind an ingress). */
  readonly trustProxy: boolean;
  /** JSON file of traffic policies (`{"<model>": {"weights": ...}}`) stored at start if absent. */
  readonly trafficPolicyFile: string | null;
  /** Shadow calls in flight at once; a sampled call beyond it is dropped and counted. */
  readonly shadowMaxInFlight: number;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

/** Each default is written here once; the README's configuration table mirrors this object. */
export const DEFAULT_CONFIG: Config = Object.freeze({
  port: 8080,
  host: '0.0.0.0',
  amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
  amqpTls: null,
  redisUrl: null,
  redisTls: null,
  cacheTtlSeconds: 300,
  cacheMaxEntries: 10_000,
  rateLimitMax: 0,
  rateLimitWindowMs: 60_000,
  apiKeyHeader: 'x-api-key',
  deadlineDefaultMs: 10_000,
  deadlineMaxMs: 60_000,
  bodyLimitBytes: 1_048_576,
  maxRowsPerRequest: 1024,
  rpcPoolSize: 4,
  coalesceMaxRows: 1024,
  coalesceWindowMs: 0,
  shutdownGraceMs: 10_000,
  logLevel: 'info',
  trustProxy: false,
  trafficPolicyFile: null,
  shadowMaxInFlight: 64,
});

/** Thrown for a bad environment variable; `variable` names it. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function present(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const value = raw.trim();
  return value === '' ? undefined : value;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(name, `expected an integer in [${min}, ${max}], got ${raw}`);
  }
  return value;
}

function url(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const raw = present(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'not a valid URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL`);
  }
  return raw;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `expected true/false/1/0, got "${raw}"`);
}

/**
 * TLS files for the connection `urlVariable` names: read now, so a wrong path fails at start
 * with the variable's name. Files with a plain amqp:// or redis:// URL are an error, not a
 * silent plaintext connection.
 */
function tls(
  urlVariable: string,
  url: string | null,
  secureScheme: string,
  files: TlsFiles,
  names: { ca: string; cert: string; key: string },
): TlsMaterial | null {
  if (files.ca === undefined && files.cert === undefined && files.key === undefined) return null;
  if (url === null || new URL(url).protocol !== secureScheme) {
    throw new ConfigError(names.ca, `TLS files need a ${secureScheme}// ${urlVariable}`);
  }
  try {
    return readTlsFiles(files, names) ?? null;
  } catch (err) {
    if (!(err instanceof TlsFilesError)) throw err;
    throw new ConfigError(err.subject, err.detail);
  }
}

/**
 * Reads and checks the gateway's environment. Unset variables take the defaults in
 * {@link DEFAULT_CONFIG}, which run locally against a broker on 127.0.0.1 with nothing set.
 * @throws ConfigError naming the first bad variable
 */
export function loadConfig(env: Env = process.env): Config {
  const d = DEFAULT_CONFIG;
  const apiKeyHeader = (present(env, 'API_KEY_HEADER') ?? d.apiKeyHeader).toLowerCase();
  // An HTTP token: a header name we can look up in Node's lower-cased header map.
  if (!/^[a-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(apiKeyHeader)) {
    throw new ConfigError('API_KEY_HEADER', 'not a valid HTTP header name');
  }
  const logLevel = present(env, 'LOG_LEVEL') ?? d.logLevel;
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}`);
  }
  const config: Omit<Config, 'amqpTls' | 'redisTls'> = {
    port: int(env, 'PORT', d.port, 0, 65_535),
    host: present(env, 'HOST') ?? d.host,
    amqpUrl: url(env, 'AMQP_URL', ['amqp:', 'amqps:']) ?? d.amqpUrl,
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']) ?? d.redisUrl,
    cacheTtlSeconds: int(env, 'CACHE_TTL_SECONDS', d.cacheTtlSeconds, 1, 30 * 86_400),
    cacheMaxEntries: int(env, 'CACHE_MAX_ENTRIES', d.cacheMaxEntries, 1, 10_000_000),
    rateLimitMax: int(env, 'RATE_LIMIT_MAX', d.rateLimitMax, 0, 1_000_000_000),
    rateLimitWindowMs: int(env, 'RATE_LIMIT_WINDOW_MS', d.rateLimitWindowMs, 1, 86_400_000),
    apiKeyHeader,
    deadlineDefaultMs: int(env, 'DEADLINE_DEFAULT_MS', d.deadlineDefaultMs, 1, 3_600_000),
    deadlineMaxMs: int(env, 'DEADLINE_MAX_MS', d.deadlineMaxMs, 1, 3_600_000),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', d.bodyLimitBytes, 1024, 1_073_741_824),
    maxRowsPerRequest: int(env, 'MAX_ROWS_PER_REQUEST', d.maxRowsPerRequest, 1, 1_000_000),
    rpcPoolSize: int(env, 'RPC_POOL_SIZE', d.rpcPoolSize, 1, 1024),
    coalesceMaxRows: int(env, 'COALESCE_MAX_ROWS', d.coalesceMaxRows, 0, 1_000_000),
    coalesceWindowMs: int(env, 'COALESCE_WINDOW_MS', d.coalesceWindowMs, 0, 1000),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', d.shutdownGraceMs, 0, 3_600_000),
    logLevel: logLevel as LogLevel,
    trustProxy: bool(env, 'TRUST_PROXY', d.trustProxy),
    trafficPolicyFile: present(env, 'TRAFFIC_POLICY_FILE') ?? d.trafficPolicyFile,
    shadowMaxInFlight: int(env, 'SHADOW_MAX_IN_FLIGHT', d.shadowMaxInFlight, 0, 100_000),
  };
  const amqpTls = tls(
    'AMQP_URL',
    config.amqpUrl,
    'amqps:',
    {
      ca: present(env, 'AMQP_TLS_CA_FILE'),
      cert: present(env, 'AMQP_TLS_CERT_FILE'),
      key: present(env, 'AMQP_TLS_KEY_FILE'),
    },
    { ca: 'AMQP_TLS_CA_FILE', cert: 'AMQP_TLS_CERT_FILE', key: 'AMQP_TLS_KEY_FILE' },
  );
  const redisTls = tls(
    'REDIS_URL',
    config.redisUrl,
    'rediss:',
    {
      ca: present(env, 'REDIS_TLS_CA_FILE'),
      cert: present(env, 'REDIS_TLS_CERT_FILE'),
      key: present(env, 'REDIS_TLS_KEY_FILE'),
    },
    { ca: 'REDIS_TLS_CA_FILE', cert: 'REDIS_TLS_CERT_FILE', key: 'REDIS_TLS_KEY_FILE' },
  );
  if (config.deadlineDefaultMs > config.deadlineMaxMs) {
    throw new ConfigError('DEADLINE_DEFAULT_MS', 'must not exceed DEADLINE_MAX_MS');
  }
  return Object.freeze({ ...config, amqpTls, redisTls });
}
