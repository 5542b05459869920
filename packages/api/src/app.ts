import { hostname } from 'node:os';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { Admission } from './admission/admission.js';
import { memoryGuard } from './admission/memory-guard.js';
import type { AliasStore } from './aliases/alias-store.js';
import { createAliases } from './aliases/aliases.js';
import { LruCache } from './cache/lru-cache.js';
import type { PredictionCache } from './cache/prediction-cache.js';
import { RedisCache } from './cache/redis-cache.js';
import { Coalescer } from './coalescer.js';
import type { Config } from './config.js';
import { ModelStats } from './console/model-stats.js';
import type { QueueDepthSource } from './console/queue-depth.js';
import { recordingPredictor } from './console/recording-predictor.js';
import { consoleStatic } from './console/static.js';
import { createDeps } from './deps.js';
import { DriftMonitor } from './drift/drift-monitor.js';
import { type ErrorBody, toApiError } from './errors.js';
import { createIdentity } from './identity/create-identity.js';
import type { KeyStore } from './identity/key-store.js';
import { registerBacklogMetric } from './jobs/backlog-metric.js';
import { createJobService } from './jobs/create-jobs.js';
import type { JobStore } from './jobs/job-store.js';
import { createLogger } from './logger.js';
import { GatewayMetrics, type RpcMetricsSource } from './metrics.js';
import { PredictionService, type Predictor, type RpcCaller } from './predictor.js';
import type { RedisClient } from './redis-client.js';
import type { ModelRegistry } from './registry.js';
import { requestIdFrom } from './request-id.js';
import { logClientClosed, logSlow, logUnserved } from './request-log.js';
import type { GatewayState, RouteContext } from './route-context.js';
import { routeLabel } from './route-label.js';
import { adminKeyRoutes } from './routes/admin-keys.js';
import { aliasRoutes } from './routes/aliases.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';
import { metricsRoutes } from './routes/metrics.js';
import { predictRoutes } from './routes/predict.js';
import { statsRoutes } from './routes/stats.js';
import { trafficRoutes } from './routes/traffic.js';
import { usageRoutes } from './routes/usage.js';
import { v1Routes } from './routes/v1.js';
import { v2Routes } from './routes/v2.js';
import { RetryingRpc } from './rpc-retry.js';
import { errorBody } from './schemas.js';
import { RedisConnections } from './state/redis-metrics.js';
import { isRedisOutOfMemory } from './state/state-errors.js';
import { gatewayTracer } from './tracing/gateway-tracer.js';
import type { PolicyStore } from './traffic/policy-store.js';
import { createTraffic } from './traffic/traffic.js';
import { formatSchemaErrors } from './validation-message.js';

/** The RPC client as the gateway uses it (structurally @mlapi/rpc's RpcClient). */
export interface GatewayRpc extends RpcCaller, RpcMetricsSource {
  readonly connected: boolean;
}

/** What buildApp needs from outside; main.ts (deps.ts) makes the real ones. */
export interface AppDeps {
  rpc: GatewayRpc;
  registry: ModelRegistry;
  /** Default: Redis when `redis` is given, else the in-process LRU. */
  cache?: PredictionCache;
  /** The cache role: shared by the cache and the rate-limit store; null: in-process only. */
  redis?: RedisClient | null;
  /**
   * The state role (src/state/): traffic policies, and whatever else must never be evicted.
   * Default: `redis` (STATE_REDIS_URL defaults to REDIS_URL); null: in-process stores.
   */
  stateRedis?: RedisClient | null;
  /** The state Redis's `maxmemory-policy` as last read (a metric); absent: not known. */
  stateEvictionPolicy?: () => string | null;
  logger?: Logger;
  /** Wraps the prediction service (tests, instrumentation); coalescing is built in (config). */
  predictor?: (service: Predictor) => Predictor;
  /** Where traffic policies live. Default: the state Redis when there is one, else in process. */
  trafficStore?: PolicyStore;
  /** Where run-time aliases live. Default: Redis when `redis` is given, else in process. */
  aliasStore?: AliasStore;
  /** Where API keys live. Default: Redis when `redis` is given, else a file under STATE_DIR. */
  keyStore?: KeyStore;
  /** Queue depths for the console's stats; absent or null: reported as unknown. */
  queueDepth?: QueueDepthSource | null;
  /**
   * Where jobs live. Default: Redis when `redis` is given (the state Redis once it is split
   * from the cache), else files under JOB_STORE_DIR.
   */
  jobStore?: JobStore;
  /** The durable queue job results come back on. Default `mlapi.jobs.results`; tests use their own. */
  jobResultsQueue?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    mlapi: { state: GatewayState; metrics: GatewayMetrics };
  }
}

/** Probes and scrapes: frequent, never interesting in a trace. */
const UNTRACED_ROUTES = new Set(['/health/live', '/health/ready', '/metrics']);

/** The route label of requests that matched no route. */
const NO_ROUTE = 'NOT_FOUND';

/**
 * Builds the gateway; never listens (main.ts does). Given `deps`, the caller owns them and
 * closes them after `app.close()`; without, the app makes the real ones from `config`, starts
 * them on ready and closes them on close.
 */
export async function buildApp(config: Config, given?: AppDeps): Promise<FastifyInstance> {
  const logger = given?.logger ?? createLogger(config);
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'request_id',
    }),
    genReqId: requestIdFrom,
    requestIdHeader: false,
    bodyLimit: config.bodyLimitBytes,
    // A client that sends its request slowly holds a socket and a partial body: bounded.
    requestTimeout: config.httpRequestTimeoutMs,
    trustProxy: config.trustProxy,
    // Keep-alive requests arriving while draining are still served (with Connection: close),
    // so none is refused mid-shutdown; new connections are refused by the closed listener.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Types are checked, never coerced: "1" is not a number and null is not 0.
    // `x-examples`: the named request examples of the OpenAPI document (src/docs/examples.ts).
    ajv: { customOptions: { coerceTypes: false, allErrors: false, keywords: ['x-examples'] } },
    schemaErrorFormatter: formatSchemaErrors,
  });
  if (config.tracing) {
    // First, so the request span is open before any other hook runs. One span per request, none
    // for its handler or its hooks: they would cost more than they tell (our own spans show the
    // cache, the coalescing and the broker inside the request).
    const otel = new FastifyOtelInstrumentation({
      instrumentHooks: false,
      instrumentHandler: false,
      ignorePaths: (route) => UNTRACED_ROUTES.has(route.url),
    });
    await app.register(otel.plugin());
  }
  const tracer = config.tracing ? gatewayTracer() : null;
  let deps: AppDeps;
  if (given === undefined) {
    const owned = createDeps(config, logger);
    deps = owned.deps;
    app.addHook('onReady', () => owned.start());
    app.addHook('onClose', () => owned.close());
  } else {
    deps = given;
  }

  const metrics = new GatewayMetrics(deps.registry, deps.rpc);
  const redis = deps.redis ?? null;
  const stateRedis = deps.stateRedis === undefined ? redis : deps.stateRedis;
  const redisConnections = new RedisConnections(metrics.registry, {
    cache: redis,
    state: stateRedis,
    stateEvictionPolicy: deps.stateEvictionPolicy ?? (() => null),
  });
  const state: GatewayState = {
    draining: false,
    ready() {
      // A gateway whose presence has gone deaf would answer 503 to everything: out of the
      // Service with it until it hears again.
      return (
        !this.draining &&
        deps.rpc.connected &&
        deps.registry.silentForMs() <= config.presenceSilenceMs
      );
    },
    redis: () => redisConnections.status(),
  };
  app.decorate('mlapi', { state, metrics });

  const cache =
    deps.cache ?? (redis !== null ? new RedisCache(redis) : new LruCache(config.cacheMaxEntries));
  const aliases = createAliases({
    registry: deps.registry,
    metricsRegistry: metrics.registry,
    logger,
    // Run-time aliases are state, like traffic policies: never on the evicting cache Redis.
    redis: stateRedis,
    ...(deps.aliasStore !== undefined ? { store: deps.aliasStore } : {}),
  });
  app.addHook('onReady', () => aliases.start());
  app.addHook('onClose', () => aliases.close());
  const traffic = createTraffic({
    config,
    registry: deps.registry,
    metricsRegistry: metrics.registry,
    logger,
    redis: stateRedis,
    ...(deps.trafficStore !== undefined ? { store: deps.trafficStore } : {}),
    send: (queue, rows, requestId, deadline, parent) =>
      service.send(queue, rows, requestId, deadline, parent),
    aliases: aliases.aliases,
  });
  app.addHook('onReady', () => traffic.start());
  app.addHook('onClose', () => traffic.close());
  // Predictions are idempotent: one that lost its channel or node is sent again (see RetryingRpc).
  const rpc = new RetryingRpc(deps.rpc, { retried: () => metrics.rpcRetries.inc() });
  const service: PredictionService = new PredictionService({
    rpc,
    registry: deps.registry,
    router: traffic.router,
    shadow: traffic.shadow,
    rollback: traffic.guard,
    admission: new Admission(
      {
        maxRowsPerModel: config.admissionModelMaxRows,
        maxRows: config.admissionMaxRows,
        maxRequests: config.admissionMaxRequests,
      },
      (_model, reason) => metrics.admissionRejections.inc({ reason }),
    ),
    cache,
    metrics,
    cacheTtlSeconds: config.cacheTtlSeconds,
    maxRowsPerRequest: config.maxRowsPerRequest,
    tracer,
    drift: config.driftMonitoring
      ? new DriftMonitor({
          registry: metrics.registry,
          windowMs: config.driftWindowSeconds * 1000,
          minRows: config.driftMinRows,
        })
      : null,
    coalescer:
      config.coalesceMaxRows > 0
        ? new Coalescer({
            rpc,
            maxRows: config.coalesceMaxRows,
            windowMs: config.coalesceWindowMs,
            metrics: { sent: (members) => metrics.rpcMessageRequests.observe(members) },
            logger: logger.child({ component: 'coalescer' }),
            tracer,
          })
        : null,
  });
  // The console's per-(model, version) history; every route family's answers pass through it.
  const stats = new ModelStats({
    registry: deps.registry,
    queueDepth: deps.queueDepth ?? null,
    instance: hostname(),
  });
  app.addHook('onReady', async () => stats.start());
  app.addHook('onClose', async () => stats.stop());
  const predictor = recordingPredictor(deps.predictor ? deps.predictor(service) : service, stats);

  // text/plain would otherwise parse into a string and fail as a 400; it is a 415.
  app.removeContentTypeParser('text/plain');
  app.addSchema(errorBody);

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // Fastify's onRequestAbort only sees a body cut short; a caller that gives up while the
    // model works closes the response unfinished.
    reply.raw.once('close', () => {
      if (!reply.raw.writableEnded) logClientClosed(request.log);
    });
    done();
  });
  // While draining, every response (in flight ones included) closes its keep-alive socket:
  // otherwise a socket that was busy when close() began lingers for keepAliveTimeout and
  // holds the shutdown open.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (state.draining) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const url = request.routeOptions.url;
    const route = url === undefined ? NO_ROUTE : routeLabel(url);
    const seconds = reply.elapsedTime / 1000;
    metrics.httpDuration.observe(
      { route, method: request.method, status: reply.statusCode },
      seconds,
    );
    // One compact line per request, at debug. At info it costs ~5 µs of CPU per request
    // (measured: the gateway's own logger writing this line to a file), ~13% of a cache hit's
    // 39 µs and ~8% of an uncached request's 67 µs (BENCHMARKS.md), for a record that
    // http_request_duration_seconds and the ingress's access log already keep. Every request
    // that is not served is logged anyway, at info, warn or error (request-log.ts).
    request.log.debug(
      { method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime },
      'request',
    );
    if (config.slowRequestMs > 0 && reply.elapsedTime >= config.slowRequestMs) {
      logSlow(request, route, reply.statusCode, reply.elapsedTime, config.tracing);
    }
    done();
  });

  app.setErrorHandler((err, request, reply) => {
    const error = toApiError(err);
    if (isRedisOutOfMemory(error.cause)) redisConnections.writesRefused.inc();
    logUnserved(request, error, err);
    if (error.retryAfterSeconds !== undefined) reply.header('retry-after', error.retryAfterSeconds);
    const body: ErrorBody = { error: error.message, code: error.code, request_id: request.id };
    return reply.status(error.statusCode).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const body: ErrorBody = {
      error: `no route ${request.method} ${request.url.slice(0, 200)}`,
      code: 'NOT_FOUND',
      request_id: request.id,
    };
    return reply.status(404).send(body);
  });

  await memoryGuard(app, {
    maxRssMb: config.pressureMaxRssMb,
    maxConnections: config.maxConnections,
    onReject: () => metrics.admissionRejections.inc({ reason: 'memory' }),
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'mlapi gateway',
        version: '0.1.0',
        description: 'Multi-model inference: /predict, KServe V1 and Open Inference Protocol V2',
      },
    },
  });
  // Public: reading the docs or loading the console needs no key and spends no budget.
  await app.register(docsRoutes);
  await app.register(consoleStatic, {});

  const identity = createIdentity({
    config,
    // Keys and usage counters are state: an evicted key locks a customer out, an evicted counter
    // resets a quota. They live on the state Redis (STATE_REDIS_URL, noeviction, persisted).
    redis: stateRedis,
    metricsRegistry: metrics.registry,
    onLimiterError: () => metrics.rateLimitStoreErrors.inc(),
    logger,
    ...(deps.keyStore !== undefined ? { store: deps.keyStore } : {}),
  });
  app.addHook('onClose', () => identity.close());
  identity.install(app);

  const jobs = createJobService({
    config,
    predictor,
    logger,
    redis: stateRedis,
    tracer,
    ...(deps.jobStore !== undefined ? { store: deps.jobStore } : {}),
    ...(deps.jobResultsQueue !== undefined ? { resultsQueue: deps.jobResultsQueue } : {}),
  });
  app.addHook('onReady', () => jobs.start());
  app.addHook('onClose', () => jobs.close());
  if (deps.queueDepth != null)
    registerBacklogMetric(metrics.registry, deps.registry, deps.queueDepth);

  const ctx: RouteContext = {
    config,
    predictor,
    registry: deps.registry,
    aliases: aliases.aliases,
    state,
  };
  await app.register(predictRoutes, ctx);
  await app.register(v1Routes, ctx);
  await app.register(v2Routes, ctx);
  await app.register(trafficRoutes, { policies: traffic.policies });
  await app.register(aliasRoutes, { aliases: aliases.aliases });
  await app.register(healthRoutes, ctx);
  await app.register(metricsRoutes, { metrics });
  await app.register(statsRoutes, { stats });
  await app.register(usageRoutes, { usage: identity.usage });
  if (identity.admin !== null) {
    await app.register(adminKeyRoutes, { admin: identity.admin, usage: identity.usage });
  }
  await app.register(jobRoutes, { jobs, maxRows: config.jobMaxRows, eventPollMs: 200 });
  app.get('/openapi.json', { schema: { hide: true }, config: { scope: 'public' } }, async () =>
    app.swagger(),
  );
  return app;
}
