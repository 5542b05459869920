import t from 'tap';
import { ConfigError, DEFAULT_CONFIG, loadConfig } from '../src/config.js';

t.test('with nothing set the defaults run locally', async (t) => {
  const config = loadConfig({});
  t.same(config, DEFAULT_CONFIG);
  t.equal(config.amqpUrl, 'amqp://guest:guest@127.0.0.1:5672');
  t.equal(config.port, 8080);
  t.equal(config.redisUrl, null, 'no REDIS_URL means the embedded cache');
  t.ok(Object.isFrozen(config), 'the config is frozen');
});

t.test('set variables are read and typed', async (t) => {
  const config = loadConfig({
    PORT: '9000',
    REDIS_URL: 'redis://127.0.0.1:6380',
    RATE_LIMIT_MAX: '0',
    API_KEY_HEADER: 'X-Key',
    DEADLINE_DEFAULT_MS: '500',
    DEADLINE_MAX_MS: '1000',
    TRUST_PROXY: 'true',
    LOG_LEVEL: 'silent',
    CACHE_TTL_SECONDS: ' 60 ',
    COALESCE_MAX_ROWS: '0',
    COALESCE_WINDOW_MS: '2',
    AMQP_URL: 'amqp://u:p@rabbit-0:5672, amqp://u:p@rabbit-1:5672',
    PRESENCE_SILENCE_MS: '5000',
    PRESENCE_MAX_LIVENESS_MS: '9000',
  });
  t.equal(
    config.amqpUrl,
    'amqp://u:p@rabbit-0:5672,amqp://u:p@rabbit-1:5672',
    'a list of broker nodes, each checked',
  );
  t.equal(config.presenceSilenceMs, 5000);
  t.equal(config.presenceMaxLivenessMs, 9000);
  t.equal(config.port, 9000);
  t.equal(config.redisUrl, 'redis://127.0.0.1:6380');
  t.equal(config.rateLimitMax, 0);
  t.equal(config.apiKeyHeader, 'x-key', 'header names are matched lower-case');
  t.equal(config.deadlineDefaultMs, 500);
  t.equal(config.trustProxy, true);
  t.equal(config.cacheTtlSeconds, 60);
  t.equal(config.coalesceMaxRows, 0, 'coalescing can be turned off');
  t.equal(config.coalesceWindowMs, 2);
});

t.test('state goes to STATE_REDIS_URL, else to REDIS_URL, else stays in process', async (t) => {
  t.equal(loadConfig({}).stateRedisUrl, null, 'nothing set: the embedded stores');
  t.equal(loadConfig({ REDIS_URL: 'redis://cache:6379' }).stateRedisUrl, 'redis://cache:6379');
  const apart = loadConfig({
    REDIS_URL: 'redis://cache:6379',
    STATE_REDIS_URL: 'redis://state:6379',
    STATE_REDIS_REQUIRE_DURABLE: 'true',
  });
  t.equal(apart.redisUrl, 'redis://cache:6379');
  t.equal(apart.stateRedisUrl, 'redis://state:6379');
  t.equal(apart.stateRedisRequireDurable, true);
  t.equal(loadConfig({}).stateRedisRequireDurable, false, 'off by default (a local run)');
});

t.test('a blank variable counts as unset', async (t) => {
  t.equal(loadConfig({ PORT: '' }).port, 8080);
});

const bad: [string, Record<string, string>][] = [
  ['PORT', { PORT: 'eighty' }],
  ['PORT', { PORT: '70000' }],
  ['PORT', { PORT: '80.5' }],
  ['AMQP_URL', { AMQP_URL: 'http://x' }],
  ['AMQP_URL', { AMQP_URL: 'not a url' }],
  ['AMQP_URL', { AMQP_URL: 'amqp://a:5672,http://b' }],
  ['PRESENCE_SILENCE_MS', { PRESENCE_SILENCE_MS: '10' }],
  ['PRESENCE_MAX_LIVENESS_MS', { PRESENCE_MAX_LIVENESS_MS: 'x' }],
  ['REDIS_URL', { REDIS_URL: 'amqp://x' }],
  ['CACHE_TTL_SECONDS', { CACHE_TTL_SECONDS: '0' }],
  ['CACHE_MAX_ENTRIES', { CACHE_MAX_ENTRIES: '-1' }],
  ['RATE_LIMIT_MAX', { RATE_LIMIT_MAX: '1e3' }],
  ['RATE_LIMIT_WINDOW_MS', { RATE_LIMIT_WINDOW_MS: '0' }],
  ['API_KEY_HEADER', { API_KEY_HEADER: 'bad header' }],
  ['DEADLINE_DEFAULT_MS', { DEADLINE_DEFAULT_MS: '5000', DEADLINE_MAX_MS: '1000' }],
  ['DEADLINE_MAX_MS', { DEADLINE_MAX_MS: 'x' }],
  ['BODY_LIMIT_BYTES', { BODY_LIMIT_BYTES: '10' }],
  ['MAX_ROWS_PER_REQUEST', { MAX_ROWS_PER_REQUEST: '0' }],
  ['RPC_POOL_SIZE', { RPC_POOL_SIZE: '0' }],
  ['COALESCE_MAX_ROWS', { COALESCE_MAX_ROWS: '-1' }],
  ['COALESCE_WINDOW_MS', { COALESCE_WINDOW_MS: '1001' }],
  ['SHUTDOWN_GRACE_MS', { SHUTDOWN_GRACE_MS: 'soon' }],
  ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
  ['TRUST_PROXY', { TRUST_PROXY: 'yes' }],
  ['STATE_REDIS_URL', { STATE_REDIS_URL: 'http://x' }],
  ['STATE_REDIS_REQUIRE_DURABLE', { REDIS_URL: 'redis://x', STATE_REDIS_REQUIRE_DURABLE: 'yes' }],
  ['STATE_REDIS_REQUIRE_DURABLE', { STATE_REDIS_REQUIRE_DURABLE: 'true' }],
  ['ADMISSION_MODEL_MAX_ROWS', { ADMISSION_MODEL_MAX_ROWS: '-1' }],
  ['ADMISSION_MAX_ROWS', { ADMISSION_MAX_ROWS: 'many' }],
  ['ADMISSION_MAX_REQUESTS', { ADMISSION_MAX_REQUESTS: '1.5' }],
  ['PRESSURE_MAX_RSS_MB', { PRESSURE_MAX_RSS_MB: '400MB' }],
  ['MAX_CONNECTIONS', { MAX_CONNECTIONS: '-5' }],
  ['HTTP_REQUEST_TIMEOUT_MS', { HTTP_REQUEST_TIMEOUT_MS: '10' }],
  ['SLOW_REQUEST_MS', { SLOW_REQUEST_MS: '-1' }],
  ['DRIFT_MONITORING', { DRIFT_MONITORING: 'maybe' }],
  ['DRIFT_WINDOW_SECONDS', { DRIFT_WINDOW_SECONDS: '0' }],
  ['DRIFT_MIN_ROWS', { DRIFT_MIN_ROWS: '0' }],
  ['OTEL_EXPORTER_OTLP_PROTOCOL', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http-json' }],
  ['OTEL_TRACES_SAMPLER', { OTEL_TRACES_SAMPLER: 'sometimes' }],
  [
    'OTEL_TRACES_SAMPLER_ARG',
    { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' },
  ],
  ['OTEL_EXPORTER_OTLP_ENDPOINT', { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }],
];

t.test('tracing is on only when an OTLP exporter is configured', async (t) => {
  t.equal(loadConfig({}).tracing, false);
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
  t.equal(loadConfig(endpoint).tracing, true);
  t.equal(loadConfig({ ...endpoint, OTEL_SDK_DISABLED: 'true' }).tracing, false);
  t.equal(loadConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).tracing, false);
});
for (const [variable, env] of bad) {
  t.test(`a bad ${variable} is refused naming the variable (${JSON.stringify(env)})`, async (t) => {
    t.throws(() => loadConfig(env), { code: 'CONFIG_INVALID', variable });
    try {
      loadConfig(env);
    } catch (err) {
      t.type(err, ConfigError);
    }
  });
}
