import type { Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Predictor } from '../predictor.js';
import type { RedisClient } from '../redis-client.js';
import { FileJobStore } from './file-job-store.js';
import { JobBroker } from './job-broker.js';
import { JobService } from './job-service.js';
import type { JobStore } from './job-store.js';
import { RedisJobStore } from './redis-job-store.js';
import { WebhookSender } from './webhook.js';

export interface CreateJobsOptions {
  config: Config;
  predictor: Predictor;
  logger: Logger;
  /** The state Redis; null: the embedded file store under JOB_STORE_DIR. */
  redis: RedisClient | null;
  /** A store of the caller's (tests); default from `redis`. */
  store?: JobStore;
  /** The results queue; default JOB_RESULTS_QUEUE (tests give each gateway its own). */
  resultsQueue?: string;
  /** Traces the chunk publishes of sampled submits; null (the default): tracing off. */
  tracer?: Tracer | null;
}

/** The jobs room as the gateway wires it: its store, its broker side, the webhook sender. */
export function createJobService(options: CreateJobsOptions): JobService {
  const { config } = options;
  const logger = options.logger.child({ component: 'jobs' });
  const store =
    options.store ??
    (options.redis !== null
      ? new RedisJobStore(options.redis, config.jobResultTtlSeconds)
      : new FileJobStore(config.jobStoreDir, config.jobResultTtlSeconds));
  return new JobService({
    store,
    broker: new JobBroker({
      url: config.amqpUrl,
      tls: config.amqpTls,
      connectionName: 'mlapi-api-jobs',
      logger,
      resultPrefetch: 32,
      tracer: options.tracer ?? null,
      ...(options.resultsQueue !== undefined ? { resultsQueue: options.resultsQueue } : {}),
    }),
    predictor: options.predictor,
    webhook: new WebhookSender({
      secret: config.jobWebhookSecret,
      logger: options.logger.child({ component: 'webhook' }),
    }),
    logger,
    chunkRows: config.jobChunkRows,
    maxRows: config.jobMaxRows,
    queueTtlSeconds: config.jobQueueTtlSeconds,
  });
}
