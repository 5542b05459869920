import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { ModelRegistry } from '../registry.js';
import { type AliasStore, MemoryAliasStore } from './alias-store.js';
import { ModelAliases } from './model-aliases.js';
import { type RedisAliasClient, RedisAliasStore } from './redis-alias-store.js';

export interface AliasesOptions {
  registry: ModelRegistry;
  /** The gateway's Prometheus registry. */
  metricsRegistry: Registry;
  logger: Logger;
  /** Default: Redis when `redis` is given, else in process. */
  store?: AliasStore;
  redis?: RedisAliasClient | null;
}

/** The gateway's alias room: the run-time store and the resolver over it and the manifests. */
export interface Aliases {
  readonly store: AliasStore;
  readonly aliases: ModelAliases;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Builds the alias room; no I/O until start(). */
export function createAliases(options: AliasesOptions): Aliases {
  const log = options.logger.child({ component: 'aliases' });
  const storeErrors = new Counter({
    name: 'alias_store_errors_total',
    help: 'Failed reads of the shared alias store, and stored aliases that could not be used',
    registers: [options.metricsRegistry],
  });
  let lastWarn = 0;
  const store =
    options.store ??
    (options.redis
      ? new RedisAliasStore(options.redis, {
          onError: (err) => {
            storeErrors.inc();
            // A down Redis fails every poll; one line per 10 s is plenty.
            const now = Date.now();
            if (now - lastWarn > 10_000) {
              lastWarn = now;
              log.warn({ err }, 'alias store unreachable; keeping the last aliases read');
            }
          },
          onBadRecord: (alias) => {
            storeErrors.inc();
            log.warn({ alias }, 'ignored a stored alias that cannot be used');
          },
        })
      : new MemoryAliasStore());
  const aliases = new ModelAliases({
    registry: options.registry,
    store,
    metricsRegistry: options.metricsRegistry,
    logger: log,
  });
  return {
    store,
    aliases,
    start: () => store.start(),
    close: () => store.close(),
  };
}
