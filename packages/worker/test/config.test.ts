import t from 'tap';
import { parseConfig } from '../src/index.js';
import { modelDir, spawnWorker } from './helpers/fixtures.js';

const base = { MODEL_DIR: '/models/fast' };

t.test('defaults match the documented table when only MODEL_DIR is set', async (t) => {
  const config = parseConfig(base);
  t.same(config, {
    modelDir: '/models/fast',
    amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
    amqpTls: null,
    port: 9090,
    host: '0.0.0.0',
    prefetch: 64,
    concurrency: 1,
    queueMaxLength: 10000,
    queueDeliveryLimit: 3,
    batchMaxRows: 256,
    batchMaxMessages: 64,
    batchWindowMs: 0,
    maxRowsPerRequest: 1024,
    announceIntervalMs: 1000,
    intraOpThreads: 1,
    logLevel: 'info',
    tracing: false,
    jobPrefetch: 4,
  });
  t.ok(Object.isFrozen(config), 'the config is frozen');
});

t.test('every variable is read from the environment', async (t) => {
  const config = parseConfig({
    MODEL_DIR: '/m',
    AMQP_URL: 'amqps://u:p@rabbit:5671/vhost',
    PORT: '9101',
    HOST: '127.0.0.1',
    PREFETCH: '128',
    CONCURRENCY: '2',
    QUEUE_MAX_LENGTH: '500',
    BATCH_MAX_ROWS: '64',
    BATCH_MAX_MESSAGES: '32',
    BATCH_WINDOW_MS: '5',
    MAX_ROWS_PER_REQUEST: '100',
    ANNOUNCE_INTERVAL_MS: '2000',
    INTRA_OP_THREADS: '0',
    LOG_LEVEL: 'debug',
    QUEUE_DELIVERY_LIMIT: '5',
    JOB_PREFETCH: '0',
  });
  t.match(config, {
    amqpUrl: 'amqps://u:p@rabbit:5671/vhost',
    port: 9101,
    host: '127.0.0.1',
    prefetch: 128,
    concurrency: 2,
    queueMaxLength: 500,
    batchMaxRows: 64,
    batchMaxMessages: 32,
    batchWindowMs: 5,
    maxRowsPerRequest: 100,
    announceIntervalMs: 2000,
    intraOpThreads: 0,
    logLevel: 'debug',
    queueDeliveryLimit: 5,
    jobPrefetch: 0,
  });
});

t.test('a blank variable takes its default', async (t) => {
  t.equal(parseConfig({ ...base, PORT: '' }).port, 9090);
});

const badValues: [string, Record<string, string>][] = [
  ['MODEL_DIR', { MODEL_DIR: '' }],
  ['MODEL_DIR', {}],
  ['AMQP_URL', { ...base, AMQP_URL: 'not a url' }],
  ['AMQP_URL', { ...base, AMQP_URL: 'http://127.0.0.1:5672' }],
  ['PORT', { ...base, PORT: '65536' }],
  ['PORT', { ...base, PORT: 'eighty' }],
  ['PREFETCH', { ...base, PREFETCH: '0' }],
  ['PREFETCH', { ...base, PREFETCH: '1e3' }],
  ['CONCURRENCY', { ...base, CONCURRENCY: '-1' }],
  ['QUEUE_MAX_LENGTH', { ...base, QUEUE_MAX_LENGTH: '0' }],
  ['BATCH_MAX_ROWS', { ...base, BATCH_MAX_ROWS: '2.5' }],
  ['BATCH_MAX_MESSAGES', { ...base, BATCH_MAX_MESSAGES: '0' }],
  ['BATCH_MAX_MESSAGES', { ...base, BATCH_MAX_MESSAGES: '65', PREFETCH: '64' }],
  ['BATCH_WINDOW_MS', { ...base, BATCH_WINDOW_MS: '0x10' }],
  ['MAX_ROWS_PER_REQUEST', { ...base, MAX_ROWS_PER_REQUEST: '0' }],
  ['ANNOUNCE_INTERVAL_MS', { ...base, ANNOUNCE_INTERVAL_MS: '1' }],
  ['INTRA_OP_THREADS', { ...base, INTRA_OP_THREADS: 'all' }],
  ['LOG_LEVEL', { ...base, LOG_LEVEL: 'verbose' }],
  ['AMQP_TLS_CA_FILE', { ...base, AMQP_TLS_CA_FILE: '/nonexistent/ca.pem' }],
  ['AMQP_TLS_CA_FILE', { ...base, AMQP_URL: 'amqps://h', AMQP_TLS_CA_FILE: '/nonexistent/ca.pem' }],
  ['AMQP_TLS_CERT_FILE', { ...base, AMQP_URL: 'amqps://h', AMQP_TLS_CERT_FILE: '/x.pem' }],
];

for (const [variable, env] of badValues) {
  t.test(
    `a bad ${variable} (${JSON.stringify(env[variable] ?? null)}) is rejected naming it`,
    async (t) => {
      t.throws(() => parseConfig(env), { code: 'WORKER_CONFIG', subject: variable });
    },
  );
}

t.test('the worker process exits non-zero naming the bad variable', async (t) => {
  const worker = spawnWorker(t, { MODEL_DIR: '/nonexistent', BATCH_WINDOW_MS: 'soon' });
  const { code } = await worker.exited;
  t.not(code, 0);
  t.match(worker.stderr(), /BATCH_WINDOW_MS/);
});

t.test('the worker process exits non-zero when the model cannot be loaded', async (t) => {
  const worker = spawnWorker(t, { MODEL_DIR: '/nonexistent-model-dir' });
  const { code } = await worker.exited;
  t.not(code, 0);
  t.match(worker.stderr(), /MODEL_DIR/);
});

t.test(
  'the worker process exits non-zero with a hint when the broker is unreachable',
  async (t) => {
    const worker = spawnWorker(t, {
      MODEL_DIR: modelDir('fast'),
      AMQP_URL: 'amqp://guest:guest@127.0.0.1:1',
    });
    const { code } = await worker.exited;
    t.not(code, 0);
    t.match(worker.stderr(), /rabbitmq-server/);
  },
);

t.test(
  'tracing is on only when an OTLP endpoint is configured, and OTEL_* values are checked',
  async (t) => {
    t.equal(parseConfig(base).tracing, false);
    t.equal(
      parseConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).tracing,
      true,
    );
    t.equal(
      parseConfig({
        ...base,
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        OTEL_SDK_DISABLED: 'true',
      }).tracing,
      false,
    );
    for (const [variable, value] of [
      ['OTEL_EXPORTER_OTLP_PROTOCOL', 'http-json'],
      ['OTEL_TRACES_SAMPLER', 'sometimes'],
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'not a url'],
    ] as const) {
      t.throws(() => parseConfig({ ...base, [variable]: value }), {
        code: 'WORKER_CONFIG',
        subject: variable,
      });
    }
  },
);
