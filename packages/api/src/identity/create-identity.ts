import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config.js';
import type { RedisClient } from '../redis-client.js';
import { Authenticator } from './authenticator.js';
import { FileKeyStore } from './file-key-store.js';
import { installIdentity } from './identity.js';
import { KeyAdmin } from './key-admin.js';
import { KeyMetrics } from './key-metrics.js';
import type { KeyStore } from './key-store.js';
import { MemoryUsageLimiter } from './memory-usage-limiter.js';
import { RedisKeyStore } from './redis-key-store.js';
import { RedisUsageLimiter } from './redis-usage-limiter.js';
import type { UsageLimiter } from './usage-limiter.js';
import { UsageReport } from './usage-report.js';

export interface Identity {
  install(app: FastifyInstance): void;
  readonly usage: UsageReport;
  /** null without a pepper: keys cannot be minted, so the key routes are not served. */
  readonly admin: KeyAdmin | null;
  close(): Promise<void>;
}

/**
 * Builds identity from config: the key store and the limiter on `redis` when given (the
 * state Redis once there is one), else a file under STATE_DIR and counters in process.
 */
export function createIdentity(options: {
  config: Config;
  redis: RedisClient | null;
  metricsRegistry: Registry;
  onLimiterError: (err: unknown) => void;
  logger: Logger;
  store?: KeyStore;
  now?: () => number;
}): Identity {
  const { config, redis } = options;
  const store =
    options.store ??
    (redis !== null ? new RedisKeyStore(redis) : new FileKeyStore(config.stateDir));
  const limiter: UsageLimiter =
    redis !== null
      ? new RedisUsageLimiter(redis, {
          leases: { minFree: config.usageLeaseMinFree },
          onError: options.onLimiterError,
          ...(options.now !== undefined ? { now: options.now } : {}),
        })
      : new MemoryUsageLimiter(options.now);
  const metrics = new KeyMetrics(options.metricsRegistry, config.keyMetricsMax);
  const logger = options.logger.child({ component: 'identity' });
  const onStoreError = (err: unknown) => {
    metrics.storeErrors.inc();
    logger.debug({ err }, 'key store call failed');
  };
  const pepper = config.apiKeyPepper;
  const authenticator =
    config.auth === 'keys' && pepper !== null
      ? new Authenticator({
          store,
          pepper,
          adminKey: config.adminApiKey,
          onStoreError,
          ...(options.now !== undefined ? { now: options.now } : {}),
        })
      : null;
  const orNull = (n: number) => (n > 0 ? n : null);
  const admin =
    pepper === null
      ? null
      : new KeyAdmin({
          store,
          pepper,
          authenticator,
          defaults: {
            rate_limit_per_minute: orNull(config.rateLimitMax),
            rows_per_day: orNull(config.rowsPerDay),
            rows_per_month: orNull(config.rowsPerMonth),
          },
          ...(options.now !== undefined ? { now: options.now } : {}),
        });
  const usage = new UsageReport({
    limiter,
    store,
    requestWindowMs: config.rateLimitWindowMs,
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
  return {
    install(app) {
      installIdentity(app, {
        config,
        authenticator,
        limiter,
        metrics,
        onLimiterError: options.onLimiterError,
        logger,
        ...(options.now !== undefined ? { now: options.now } : {}),
      });
    },
    usage,
    admin,
    async close() {
      // Leases first: what this replica spent is reported and what it holds goes back.
      await limiter.close?.();
      await store.close();
    },
  };
}
