#!/usr/bin/env node
// The worker process: the only module with side effects. It reads the config, loads the model,
// opens the health port, consumes `mlapi.<name>.<version>`, announces itself and drains on SIGTERM/SIGINT.
import { hostname } from 'node:os';
import type { WorkerPresenceMeta } from '@mlapi/contracts';
import { PresencePublisher, redactUrl } from '@mlapi/rpc';
import { pino } from 'pino';
import { parseConfig, type WorkerConfig } from './config.js';
import { WorkerError } from './errors.js';
import { createHealthServer } from './health-server.js';
import { JobConsumer } from './job-consumer.js';
import { WorkerMetrics } from './metrics.js';
import { ModelWorker } from './model-worker.js';
import { loadModel, type OnnxModel } from './onnx-model.js';
import { startTracing } from './start-tracing.js';

function fail(message: string): never {
  process.stderr.write(`mlapi-worker: ${message}\n`);
  process.exit(1);
}

function brokerHint(config: WorkerConfig): string {
  return (
    `cannot reach RabbitMQ at ${redactUrl(config.amqpUrl)}. Start it (for example ` +
    '`rabbitmq-server -detached`, or `docker run -d -p 5672:5672 rabbitmq:3`) or point AMQP_URL ' +
    'at a running broker'
  );
}

async function main(): Promise<void> {
  let config: WorkerConfig;
  try {
    config = parseConfig(process.env);
  } catch (err) {
    if (err instanceof WorkerError) fail(`invalid configuration: ${err.message}`);
    throw err;
  }

  const logger = pino({ level: config.logLevel, base: { service: 'mlapi-worker' } });
  const log = logger.child({ module: 'main' });
  const tracing = config.tracing ? startTracing(process.env, 'mlapi-worker') : null;

  let model: OnnxModel;
  try {
    model = await loadModel(config.modelDir, { intraOpNumThreads: config.intraOpThreads });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    log.fatal({ err, modelDir: config.modelDir }, 'cannot load the model');
    fail(`cannot load the model from MODEL_DIR=${config.modelDir}: ${reason}`);
  }
  const { name, version } = model.spec;
  log.info({ model: name, version, dir: model.dir }, 'model loaded');

  const metrics = new WorkerMetrics(model.spec);
  metrics.setLoaded(true);
  const connectionName = `mlapi-worker ${name} ${hostname()} ${process.pid}`;
  const worker = new ModelWorker({
    url: config.amqpUrl,
    ...(config.amqpTls !== null && { tls: config.amqpTls }),
    model,
    prefetch: config.prefetch,
    concurrency: config.concurrency,
    maxLength: config.queueMaxLength,
    deliveryLimit: config.queueDeliveryLimit,
    batchMaxMessages: config.batchMaxMessages,
    batchWindowMs: config.batchWindowMs,
    batchMaxRows: config.batchMaxRows,
    maxRowsPerRequest: config.maxRowsPerRequest,
    metrics,
    tracer: tracing?.tracer ?? null,
    connectionName,
    logger: logger.child({ module: 'model-worker', model: name }),
  });
  metrics.bindRpcServer(worker);
  const jobConsumer =
    config.jobPrefetch > 0
      ? new JobConsumer({
          url: config.amqpUrl,
          tls: config.amqpTls,
          model,
          gate: worker.gate,
          prefetch: config.jobPrefetch,
          batchMaxRows: config.batchMaxRows,
          connectionName,
          metrics,
          tracer: tracing?.tracer ?? null,
          logger: logger.child({ module: 'job-consumer', model: name }),
        })
      : null;

  let stopping = false;
  const ready = (): boolean => !stopping && worker.consuming;
  const http = createHealthServer({
    registry: metrics.registry,
    ready,
    logger: logger.child({ module: 'health-server' }),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.port, config.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    log.fatal({ err }, 'cannot open the health port');
    fail(`cannot listen on ${config.host}:${config.port} (PORT/HOST): ${(err as Error).message}`);
  }
  log.info({ address: http.address() }, 'health port open');

  let presence: PresencePublisher<WorkerPresenceMeta> | null = null;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without draining');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'draining');
    try {
      // Readiness is already false. stop() cancels the consumer, then infers, answers and acks
      // everything already taken; the goodbye comes after, because until then this instance is
      // still serving.
      await Promise.all([worker.stop(), jobConsumer?.stop()]);
      await presence?.stop();
      metrics.setLoaded(false);
      http.close();
      http.closeAllConnections();
      await model.release();
      // Flushes the spans still buffered, the last batches' included.
      await tracing?.shutdown();
      log.info('stopped');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  // Installed before connecting, so that a SIGTERM during start-up still exits cleanly.
  process.on('SIGTERM', (s) => void shutdown(s));
  process.on('SIGINT', (s) => void shutdown(s));

  try {
    await worker.start();
  } catch (err) {
    if (stopping) return;
    log.fatal({ err }, 'cannot start consuming');
    fail(brokerHint(config));
  }
  if (stopping) return;
  log.info({ queue: worker.queue }, 'consuming');
  try {
    await jobConsumer?.start();
  } catch (err) {
    if (stopping) return;
    log.fatal({ err }, 'cannot consume job chunks');
    fail(brokerHint(config));
  }
  if (jobConsumer !== null) log.info({ queue: jobConsumer.queue }, 'consuming job chunks');

  presence = new PresencePublisher({
    url: config.amqpUrl,
    ...(config.amqpTls !== null && { tls: config.amqpTls }),
    service: worker.queue,
    intervalMs: config.announceIntervalMs,
    meta: () => ({ manifest: model.manifest }),
    ready,
    connectionName: `${connectionName} presence`,
    logger: logger.child({ module: 'presence' }),
  });
  try {
    await presence.start();
  } catch (err) {
    if (stopping) return;
    log.fatal({ err }, 'cannot start announcing');
    fail(brokerHint(config));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`mlapi-worker: unexpected failure: ${String(err)}\n`);
  process.exit(1);
});
