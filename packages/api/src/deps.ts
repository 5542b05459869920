import { DeadLetterResponder, PresenceTracker, RpcClient } from '@mlapi/rpc';
import type { Logger } from 'pino';
import type { AppDeps } from './app.js';
import type { Config } from './config.js';
import { AmqpQueueDepth } from './console/queue-depth.js';
import { closeRedis, createRedisClient, type RedisClient } from './redis-client.js';
import { PresenceRegistry } from './registry.js';
import { StateRedis } from './state/state-redis.js';

/** The real dependencies and their lifecycle; buildApp hooks these to onReady/onClose. */
export interface OwnedDeps {
  readonly deps: AppDeps;
  /**
   * Connects to the broker and hears the first announcements; rejects if the broker cannot be
   * reached now (later losses reconnect by themselves). A Redis that is down is not waited for,
   * except the state Redis under STATE_REDIS_REQUIRE_DURABLE, which is waited for and checked:
   * rejects with StateRedisNotDurableError when it may evict.
   */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** How long a new gateway waits for the first announcements before it calls itself started. */
const PRESENCE_WARMUP_MS = 1500;

/** Builds the RPC client, presence tracker and Redis client from config. No I/O until start(). */
export function createDeps(config: Config, logger: Logger, name = 'mlapi-api'): OwnedDeps {
  // Spread only when set: the option checkers reject an explicit undefined as an unknown shape.
  const amqpTls = config.amqpTls !== null ? { tls: config.amqpTls } : {};
  const rpc = new RpcClient({
    url: config.amqpUrl,
    ...amqpTls,
    poolSize: config.rpcPoolSize,
    // A backstop only: admission control keeps requests below ADMISSION_MAX_REQUESTS, and shadow
    // calls below their own cap, so this never makes one model's call wait behind another's.
    maxInFlight:
      config.admissionMaxRequests > 0 ? config.admissionMaxRequests + config.shadowMaxInFlight : 0,
    connectionName: name,
    logger: logger.child({ component: 'rpc' }),
  });
  const tracker = new PresenceTracker({
    url: config.amqpUrl,
    maxLivenessMs: config.presenceMaxLivenessMs,
    ...amqpTls,
    connectionName: `${name}-presence`,
    logger: logger.child({ component: 'presence' }),
  });
  // Answers the callers of poison messages (dead-lettered after their delivery limit) at once.
  const deadLetters = new DeadLetterResponder({
    url: config.amqpUrl,
    ...amqpTls,
    connectionName: `${name}-dead-letters`,
    logger: logger.child({ component: 'dead-letters' }),
  });
  const queueDepth = new AmqpQueueDepth({
    url: config.amqpUrl,
    tls: config.amqpTls,
    connectionName: `${name}-stats`,
    logger: logger.child({ component: 'queue-depth' }),
  });
  let redis: RedisClient | null = null;
  if (config.redisUrl !== null) {
    let lastWarn = 0;
    redis = createRedisClient(
      config.redisUrl,
      (err) => {
        // A down Redis errors on every reconnect attempt; one line per 10 s is plenty.
        const now = Date.now();
        if (now - lastWarn > 10_000) {
          lastWarn = now;
          logger.warn({ err }, 'redis unavailable; serving uncached');
        }
      },
      undefined,
      config.redisTls,
    );
  }
  // Its own client even when STATE_REDIS_URL is REDIS_URL (a local run): the two roles fail,
  // time out and are watched apart.
  const state =
    config.stateRedisUrl === null
      ? null
      : new StateRedis({
          url: config.stateRedisUrl,
          requireDurable: config.stateRedisRequireDurable,
          logger,
          // One set of REDIS_TLS_* files for both roles: they are usually one managed service.
          tls: config.redisTls,
        });

  return {
    deps: {
      rpc,
      registry: new PresenceRegistry(tracker),
      redis,
      stateRedis: state?.client ?? null,
      stateEvictionPolicy: () => state?.evictionPolicy ?? null,
      logger,
      queueDepth,
    },
    async start() {
      // Checked before anything else connects: a state Redis that may evict is a refusal.
      await state?.start();
      // Redis may come later: until then every cache call fails fast and is counted.
      if (redis !== null) redis.connect().catch(() => {});
      await Promise.all([
        rpc.connect(),
        deadLetters.start(),
        tracker.start().then(() => firstChange(tracker, PRESENCE_WARMUP_MS)),
      ]);
    },
    async close() {
      await Promise.allSettled([
        rpc.close(),
        deadLetters.stop(),
        tracker.stop(),
        queueDepth.close(),
        redis !== null ? closeRedis(redis) : Promise.resolve(),
        state !== null ? state.close() : Promise.resolve(),
      ]);
    },
  };
}

/** Answers to the start-up probe arrive together; this much quiet means they have all come. */
const SETTLE_MS = 50;

/**
 * Resolves once the answers to the tracker's probe have settled (a 'change' followed by
 * SETTLE_MS of quiet), or after `ms` when nobody answers, so the first requests do not meet an
 * empty registry.
 */
function firstChange(tracker: PresenceTracker<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    let quiet: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(limit);
      clearTimeout(quiet);
      tracker.off('change', onChange);
      resolve();
    };
    const onChange = () => {
      clearTimeout(quiet);
      quiet = setTimeout(done, SETTLE_MS);
    };
    const limit = setTimeout(done, ms);
    tracker.on('change', onChange);
  });
}
