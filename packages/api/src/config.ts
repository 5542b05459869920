import { telemetryProblem, tracingConfigured } from '@mlapi/contracts';
import type { TlsMaterial } from '@mlapi/rpc';
import {
  bool,
  brokerUrls,
  ConfigError,
  type Env,
  int,
  present,
  secret,
  signingKey,
  tls,
  url,
} from './config-readers.js';

export { ConfigError } from './config-readers.js';

/** The gateway's configuration, read once from the environment at start-up. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly amqpUrl: string;
  /** For an amqps:// AMQP_URL: CA and client certificate from AMQP_TLS_*_FILE; null: none given. */
  readonly amqpTls: TlsMaterial | null;
  /** null: the bounded in-process cache and in-process rate-limit counters. */
  readonly redisUrl: string | null;
  /**
   * Durable state (traffic policies, aliases, API keys, usage counters, jobs): a Redis
   * that must never evict and must persist. Defaults to `redisUrl` for a local run; null (both
   * unset): the embedded in-process stores.
   */
  readonly stateRedisUrl: string | null;
  /** Refuse to start when the state Redis may evict (`maxmemory-policy` is not noeviction). */
  readonly stateRedisRequireDurable: boolean;
  /** For a rediss:// REDIS_URL: CA and client certificate from REDIS_TLS_*_FILE; null: none given. */
  readonly redisTls: TlsMaterial | null;
  readonly cacheTtlSeconds: number;
  readonly cacheMaxEntries: number;
  /**
   * Requests per window for an IP when auth is off, and the default `rate_limit_per_minute` of
   * a new key; 0: no limit.
   */
  readonly rateLimitMax: number;
  /** The request window's length; a key's `rate_limit_per_minute` counts within it. */
  readonly rateLimitWindowMs: number;
  /** Rows per UTC day (per IP when auth is off; a new key's default); 0: no limit. */
  readonly rowsPerDay: number;
  /** Rows per UTC month (per IP when auth is off; a new key's default); 0: no limit. */
  readonly rowsPerMonth: number;
  /**
   * The shared limiter leases budget to a replica while every limit of the caller has at least
   * this many units left, so most requests need no round trip to Redis; 0: every request is
   * checked in Redis.
   */
  readonly usageLeaseMinFree: number;
  /** 'keys': every model route needs an API key. */
  readonly auth: AuthMode;
  /** The HMAC key keys' secrets are stored under; required when auth is 'keys'. */
  readonly apiKeyPepper: string | null;
  /** A bootstrap credential with the admin scope; null: none. */
  readonly adminApiKey: string | null;
  /** Where the embedded stores (keys, without Redis) keep their files. */
  readonly stateDir: string;
  /** Distinct key ids that get their own label in the per-key metrics; the rest share one. */
  readonly keyMetricsMax: number;
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
  /** Rows one model (version) may have in flight in this gateway; 0: no bound. */
  readonly admissionModelMaxRows: number;
  /** Rows in flight over all models; 0: no bound. */
  readonly admissionMaxRows: number;
  /** Prediction requests in flight over all models; 0: no bound. */
  readonly admissionMaxRequests: number;
  /** Above this resident set (MiB), requests with a body are refused with 503; 0: never. */
  readonly pressureMaxRssMb: number;
  /** Open client sockets at once; more are refused by the server; 0: no cap. */
  readonly maxConnections: number;
  /** How long a client may take to send a whole request (headers and body), in ms. */
  readonly httpRequestTimeoutMs: number;
  /** Readiness is 503 once presence has heard nothing (not even its own echo) for this long. */
  readonly presenceSilenceMs: number;
  /** The longest an announcement counts as live, whatever interval it claims. */
  readonly presenceMaxLivenessMs: number;
  /** Rows one job may hold. */
  readonly jobMaxRows: number;
  /** Rows per chunk message of a job; keep it at or below the workers' MAX_ROWS_PER_REQUEST. */
  readonly jobChunkRows: number;
  /** How long a finished job's state and results are kept. */
  readonly jobResultTtlSeconds: number;
  /** A job no worker has started within this expires. */
  readonly jobQueueTtlSeconds: number;
  /** HMAC-SHA256 key signing webhook callbacks; null: callbacks go unsigned. */
  readonly jobWebhookSecret: string | null;
  /** Directory of the embedded job store, used when there is no Redis. */
  readonly jobStoreDir: string;
  /**
   * Whether the OTEL_* environment configures trace export (an OTLP endpoint); the
   * OpenTelemetry SDK reads the variables themselves. Off: no SDK and no instrumentation.
   */
  readonly tracing: boolean;
  /** A request slower than this is logged at info with its trace id; 0 logs none. */
  readonly slowRequestMs: number;
  /** Bin live inputs and predictions against each version's training profile. */
  readonly driftMonitoring: boolean;
  /** One PSI window; model_input_drift_psi covers the current and the previous one. */
  readonly driftWindowSeconds: number;
  /** Recent rows below which no PSI is reported. */
  readonly driftMinRows: number;
}

export type AuthMode = 'off' | 'keys';

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
  stateRedisUrl: null,
  stateRedisRequireDurable: false,
  redisTls: null,
  cacheTtlSeconds: 300,
  cacheMaxEntries: 10_000,
  rateLimitMax: 0,
  rateLimitWindowMs: 60_000,
  rowsPerDay: 0,
  rowsPerMonth: 0,
  usageLeaseMinFree: 1024,
  auth: 'off',
  apiKeyPepper: null,
  adminApiKey: null,
  stateDir: '.mlapi-state',
  keyMetricsMax: 100,
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
  admissionModelMaxRows: 16_384,
  admissionMaxRows: 65_536,
  admissionMaxRequests: 4096,
  pressureMaxRssMb: 400,
  maxConnections: 4096,
  httpRequestTimeoutMs: 30_000,
  presenceSilenceMs: 10_000,
  presenceMaxLivenessMs: 30_000,
  jobMaxRows: 1_000_000,
  jobChunkRows: 1024,
  jobResultTtlSeconds: 86_400,
  jobQueueTtlSeconds: 3600,
  jobWebhookSecret: null,
  jobStoreDir: '.mlapi/jobs',
  tracing: false,
  slowRequestMs: 1000,
  driftMonitoring: true,
  driftWindowSeconds: 300,
  driftMinRows: 100,
});

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
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:']) ?? d.redisUrl;
  const auth = present(env, 'AUTH') ?? d.auth;
  if (auth !== 'off' && auth !== 'keys') {
    throw new ConfigError('AUTH', `expected off or keys, got "${auth}"`);
  }
  const apiKeyPepper = secret(env, 'API_KEY_PEPPER');
  if (auth === 'keys' && apiKeyPepper === undefined) {
    throw new ConfigError('API_KEY_PEPPER', 'required when AUTH=keys (32 characters or more)');
  }
  const config: Omit<Config, 'amqpTls' | 'redisTls'> = {
    port: int(env, 'PORT', d.port, 0, 65_535),
    host: present(env, 'HOST') ?? d.host,
    amqpUrl: brokerUrls(env, 'AMQP_URL') ?? d.amqpUrl,
    redisUrl,
    stateRedisUrl: url(env, 'STATE_REDIS_URL', ['redis:', 'rediss:']) ?? redisUrl,
    stateRedisRequireDurable: bool(env, 'STATE_REDIS_REQUIRE_DURABLE', d.stateRedisRequireDurable),
    cacheTtlSeconds: int(env, 'CACHE_TTL_SECONDS', d.cacheTtlSeconds, 1, 30 * 86_400),
    cacheMaxEntries: int(env, 'CACHE_MAX_ENTRIES', d.cacheMaxEntries, 1, 10_000_000),
    rateLimitMax: int(env, 'RATE_LIMIT_MAX', d.rateLimitMax, 0, 1_000_000_000),
    rateLimitWindowMs: int(env, 'RATE_LIMIT_WINDOW_MS', d.rateLimitWindowMs, 1000, 86_400_000),
    rowsPerDay: int(env, 'ROWS_PER_DAY', d.rowsPerDay, 0, 1_000_000_000_000),
    rowsPerMonth: int(env, 'ROWS_PER_MONTH', d.rowsPerMonth, 0, 1_000_000_000_000),
    usageLeaseMinFree: int(env, 'USAGE_LEASE_MIN_FREE', d.usageLeaseMinFree, 0, 1_000_000_000),
    auth,
    apiKeyPepper: apiKeyPepper ?? d.apiKeyPepper,
    adminApiKey: secret(env, 'ADMIN_API_KEY') ?? d.adminApiKey,
    stateDir: present(env, 'STATE_DIR') ?? d.stateDir,
    keyMetricsMax: int(env, 'KEY_METRICS_MAX', d.keyMetricsMax, 0, 10_000),
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
    admissionModelMaxRows: int(
      env,
      'ADMISSION_MODEL_MAX_ROWS',
      d.admissionModelMaxRows,
      0,
      100_000_000,
    ),
    admissionMaxRows: int(env, 'ADMISSION_MAX_ROWS', d.admissionMaxRows, 0, 100_000_000),
    admissionMaxRequests: int(env, 'ADMISSION_MAX_REQUESTS', d.admissionMaxRequests, 0, 1_000_000),
    pressureMaxRssMb: int(env, 'PRESSURE_MAX_RSS_MB', d.pressureMaxRssMb, 0, 1_048_576),
    maxConnections: int(env, 'MAX_CONNECTIONS', d.maxConnections, 0, 1_000_000),
    httpRequestTimeoutMs: int(
      env,
      'HTTP_REQUEST_TIMEOUT_MS',
      d.httpRequestTimeoutMs,
      1000,
      3_600_000,
    ),
    presenceSilenceMs: int(env, 'PRESENCE_SILENCE_MS', d.presenceSilenceMs, 1000, 3_600_000),
    presenceMaxLivenessMs: int(
      env,
      'PRESENCE_MAX_LIVENESS_MS',
      d.presenceMaxLivenessMs,
      100,
      3_600_000,
    ),
    jobMaxRows: int(env, 'JOB_MAX_ROWS', d.jobMaxRows, 1, 100_000_000),
    jobChunkRows: int(env, 'JOB_CHUNK_ROWS', d.jobChunkRows, 1, 65_536),
    jobResultTtlSeconds: int(
      env,
      'JOB_RESULT_TTL_SECONDS',
      d.jobResultTtlSeconds,
      60,
      365 * 86_400,
    ),
    jobQueueTtlSeconds: int(env, 'JOB_QUEUE_TTL_SECONDS', d.jobQueueTtlSeconds, 1, 30 * 86_400),
    jobWebhookSecret: signingKey(env, 'JOB_WEBHOOK_SECRET'),
    jobStoreDir: present(env, 'JOB_STORE_DIR') ?? d.jobStoreDir,
    tracing: tracingConfigured(env),
    slowRequestMs: int(env, 'SLOW_REQUEST_MS', d.slowRequestMs, 0, 3_600_000),
    driftMonitoring: bool(env, 'DRIFT_MONITORING', d.driftMonitoring),
    driftWindowSeconds: int(env, 'DRIFT_WINDOW_SECONDS', d.driftWindowSeconds, 1, 86_400),
    driftMinRows: int(env, 'DRIFT_MIN_ROWS', d.driftMinRows, 1, 1_000_000_000),
  };
  if (config.stateRedisRequireDurable && config.stateRedisUrl === null) {
    // Durability asked for, yet state would live in process memory and die with it.
    throw new ConfigError(
      'STATE_REDIS_REQUIRE_DURABLE',
      'is true but neither STATE_REDIS_URL nor REDIS_URL is set: state would live in process memory',
    );
  }
  const telemetry = telemetryProblem(env);
  if (telemetry !== null) throw new ConfigError(telemetry.variable, telemetry.message);
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
