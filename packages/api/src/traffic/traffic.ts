import { readFile } from 'node:fs/promises';
import { TrafficPolicyError } from '@mlapi/contracts';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config.js';
import type { ModelRegistry } from '../registry.js';
import { MemoryPolicyStore } from './memory-policy-store.js';
import { TrafficPolicies } from './policies.js';
import type { PolicyStore } from './policy-store.js';
import { type RedisPolicyClient, RedisPolicyStore } from './redis-policy-store.js';
import { RollbackGuard } from './rollback-guard.js';
import { type AliasResolver, TrafficRouter } from './router.js';
import { ShadowRunner, type ShadowSend } from './shadow.js';
import { TrafficMetrics } from './traffic-metrics.js';

export interface TrafficOptions {
  config: Config;
  registry: ModelRegistry;
  /** The gateway's Prometheus registry. */
  metricsRegistry: Registry;
  logger: Logger;
  /** Default: Redis when `redis` is given, else in process. */
  store?: PolicyStore;
  redis?: RedisPolicyClient | null;
  /** How shadow calls are sent (the predictor's own path). */
  send: ShadowSend;
  /** Aliases the router resolves first; absent: none. */
  aliases?: AliasResolver | null;
}

/** The gateway's traffic room: policy store, router, shadow runner and rollback guard. */
export interface Traffic {
  readonly store: PolicyStore;
  readonly router: TrafficRouter;
  readonly policies: TrafficPolicies;
  readonly metrics: TrafficMetrics;
  readonly shadow: ShadowRunner;
  readonly guard: RollbackGuard;
  /** Reads the store (and seeds it from TRAFFIC_POLICY_FILE), then polls and judges. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Builds the traffic room; no I/O until start(). */
export function createTraffic(options: TrafficOptions): Traffic {
  const { config, registry, logger } = options;
  const log = logger.child({ component: 'traffic' });
  let router: TrafficRouter | null = null;
  const metrics = new TrafficMetrics(options.metricsRegistry, registry, () => router);
  let lastWarn = 0;
  const store =
    options.store ??
    (options.redis
      ? new RedisPolicyStore(options.redis, {
          onError: (err) => {
            metrics.policyStoreErrors.inc();
            // A down Redis fails every poll; one line per 10 s is plenty.
            const now = Date.now();
            if (now - lastWarn > 10_000) {
              lastWarn = now;
              log.warn({ err }, 'traffic policy store unreachable; keeping the last policies read');
            }
          },
          onBadRecord: (model) => {
            metrics.policyStoreErrors.inc();
            log.warn({ model }, 'ignored a stored traffic policy that cannot be used');
          },
        })
      : new MemoryPolicyStore());
  router = new TrafficRouter({
    registry,
    store,
    events: metrics,
    aliases: options.aliases ?? null,
  });
  const policies = new TrafficPolicies({ store, router, registry });
  const shadow = new ShadowRunner({
    send: options.send,
    metrics,
    maxInFlight: config.shadowMaxInFlight,
  });
  const guard = new RollbackGuard({
    store,
    policies,
    logger: log,
    rolledBack: (model, version) =>
      metrics.rollbacks.inc({ model_name: model, model_version: version }),
  });
  return {
    store,
    router,
    policies,
    metrics,
    shadow,
    guard,
    async start() {
      await store.start();
      if (config.trafficPolicyFile !== null) {
        const file = await readPolicyFile(config.trafficPolicyFile);
        let seeded: number;
        try {
          seeded = await policies.seed(file);
        } catch (err) {
          if (err instanceof TrafficPolicyError) {
            throw new Error(`TRAFFIC_POLICY_FILE: ${err.message}`, { cause: err });
          }
          // The shared store is down: start anyway; the policies can be set once it is back.
          metrics.policyStoreErrors.inc();
          log.warn({ err }, 'could not seed the traffic policies; the store is unreachable');
          seeded = 0;
        }
        log.info({ file: config.trafficPolicyFile, seeded }, 'traffic policies seeded');
      }
      guard.start();
    },
    async close() {
      await guard.stop();
      await store.close();
    },
  };
}

/** @throws Error naming TRAFFIC_POLICY_FILE when the file cannot be read as a JSON object */
async function readPolicyFile(path: string): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`TRAFFIC_POLICY_FILE: cannot read ${path} as JSON`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`TRAFFIC_POLICY_FILE: ${path} must hold {"<model>": {"weights": ...}, ...}`);
  }
  return value as Record<string, unknown>;
}
