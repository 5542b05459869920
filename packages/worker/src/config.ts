import { telemetryProblem, tracingConfigured } from '@mlapi/contracts';
import { parseBrokerUrls, readTlsFiles, TlsFilesError, type TlsMaterial } from '@mlapi/rpc';
import { WorkerError } from './errors.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The worker's settings, read once from the environment (see docs/architecture.md). */
export interface WorkerConfig {
  readonly modelDir: string;
  readonly amqpUrl: string;
  /** For an amqps:// AMQP_URL: CA and client certificate from AMQP_TLS_*_FILE; null: none given. */
  readonly amqpTls: TlsMaterial | null;
  readonly port: number;
  readonly host: string;
  readonly prefetch: number;
  readonly concurrency: number;
  readonly queueMaxLength: number;
  /** Deliveries of one message before it is dead-lettered as poison (quorum delivery limit). */
  readonly queueDeliveryLimit: number;
  readonly batchMaxRows: number;
  readonly batchMaxMessages: number;
  readonly batchWindowMs: number;
  readonly maxRowsPerRequest: number;
  readonly announceIntervalMs: number;
  readonly intraOpThreads: number;
  /** Job chunks taken at once and inferred as one batch; 0: this worker takes no job chunks. */
  readonly jobPrefetch: number;
  readonly logLevel: LogLevel;
  /** Whether the OTEL_* environment configures trace export; the SDK reads the rest itself. */
  readonly tracing: boolean;
}

const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

type Env = Readonly<Record<string, string | undefined>>;

function bad(variable: string, message: string): WorkerError {
  return new WorkerError('WORKER_CONFIG', `${variable} ${message}`, { subject: variable });
}

/** A blank variable counts as unset: `FOO=` in a Deployment or shell means "use the default". */
function raw(env: Env, variable: string): string | undefined {
  const value = env[variable]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, variable: string, fallback: number, min: number, max: number): number {
  const value = raw(env, variable);
  if (value === undefined) return fallback;
  // Number() would accept '1e3', '0x10' and ' 12 '; a config value should mean one thing.
  if (!/^\d+$/.test(value)) throw bad(variable, `must be a whole number, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw bad(variable, `must be between ${min} and ${max}, got ${value}`);
  return n;
}

/** One broker URL or a comma-separated list of a cluster's nodes, each checked. */
function amqpUrl(env: Env): string {
  const value = raw(env, 'AMQP_URL') ?? 'amqp://guest:guest@127.0.0.1:5672';
  try {
    return parseBrokerUrls(value, 'AMQP_URL').join(',');
  } catch (err) {
    throw bad('AMQP_URL', (err as Error).message);
  }
}

function logLevel(env: Env): LogLevel {
  const value = raw(env, 'LOG_LEVEL') ?? 'info';
  const level = LOG_LEVELS.find((l) => l === value);
  if (level === undefined) throw bad('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

/**
 * The AMQP_TLS_*_FILE files, read now so a wrong path fails at start naming its variable. Files
 * with a plain amqp:// URL are an error, not a silent plaintext connection.
 */
function amqpTls(env: Env): TlsMaterial | null {
  const files = {
    ca: raw(env, 'AMQP_TLS_CA_FILE'),
    cert: raw(env, 'AMQP_TLS_CERT_FILE'),
    key: raw(env, 'AMQP_TLS_KEY_FILE'),
  };
  if (files.ca === undefined && files.cert === undefined && files.key === undefined) return null;
  if (new URL(amqpUrl(env)).protocol !== 'amqps:') {
    throw bad('AMQP_TLS_CA_FILE', 'and the other TLS files need an amqps:// AMQP_URL');
  }
  try {
    return (
      readTlsFiles(files, {
        ca: 'AMQP_TLS_CA_FILE',
        cert: 'AMQP_TLS_CERT_FILE',
        key: 'AMQP_TLS_KEY_FILE',
      }) ?? null
    );
  } catch (err) {
    if (err instanceof TlsFilesError) throw bad(err.subject, err.detail);
    throw err;
  }
}

/**
 * Reads and checks every worker variable at once. Throws a `WORKER_CONFIG` WorkerError whose
 * `subject` (and message) names the first bad variable; main.ts turns that into a non-zero exit.
 */
export function parseConfig(env: Env): WorkerConfig {
  const modelDir = raw(env, 'MODEL_DIR');
  if (modelDir === undefined) {
    throw bad('MODEL_DIR', 'is required: the folder holding model.json and model.onnx');
  }
  const prefetch = integer(env, 'PREFETCH', 64, 1, 65535);
  const batchMaxMessages = integer(env, 'BATCH_MAX_MESSAGES', 64, 1, 65535);
  // A batch can only hold messages the broker has handed over, so a larger batch would never fill
  // and every batch would wait out the whole window.
  if (batchMaxMessages > prefetch) {
    throw bad('BATCH_MAX_MESSAGES', `(${batchMaxMessages}) must not exceed PREFETCH (${prefetch})`);
  }
  const config: WorkerConfig = {
    modelDir,
    amqpUrl: amqpUrl(env),
    amqpTls: amqpTls(env),
    port: integer(env, 'PORT', 9090, 0, 65535),
    host: raw(env, 'HOST') ?? '0.0.0.0',
    prefetch,
    concurrency: integer(env, 'CONCURRENCY', 1, 1, 1024),
    queueMaxLength: integer(env, 'QUEUE_MAX_LENGTH', 10000, 1, 2 ** 31 - 1),
    queueDeliveryLimit: integer(env, 'QUEUE_DELIVERY_LIMIT', 3, 1, 1000),
    batchMaxRows: integer(env, 'BATCH_MAX_ROWS', 256, 1, 1_000_000),
    batchMaxMessages,
    batchWindowMs: integer(env, 'BATCH_WINDOW_MS', 0, 0, 60_000),
    maxRowsPerRequest: integer(env, 'MAX_ROWS_PER_REQUEST', 1024, 1, 1_000_000),
    announceIntervalMs: integer(env, 'ANNOUNCE_INTERVAL_MS', 1000, 50, 3_600_000),
    // 0 lets onnxruntime pick one thread per core.
    intraOpThreads: integer(env, 'INTRA_OP_THREADS', 1, 0, 1024),
    jobPrefetch: integer(env, 'JOB_PREFETCH', 4, 0, 1024),
    logLevel: logLevel(env),
    tracing: tracingConfigured(env),
  };
  const telemetry = telemetryProblem(env);
  if (telemetry !== null) throw bad(telemetry.variable, telemetry.message);
  return Object.freeze(config);
}
