import { Counter, Gauge, type Registry } from 'prom-client';
import type { RedisClient } from '../redis-client.js';
import { DURABLE_EVICTION_POLICY } from './state-redis.js';

/** The two roles a Redis plays for the gateway (README, "Which Redis holds what"). */
export type RedisRole = 'cache' | 'state';
/** off: the role has no Redis (the embedded in-process store). */
export type RedisConnectionStatus = 'up' | 'down' | 'off';

export interface RedisRoles {
  cache: RedisClient | null;
  state: RedisClient | null;
  /** The state Redis's `maxmemory-policy` as last read; null: not known (yet). */
  stateEvictionPolicy: () => string | null;
}

/**
 * Each role's connection, as a readiness signal (`status()`, shown by /health/ready) and as
 * metrics. A down cache costs speed and a down state Redis refuses state writes, but neither
 * makes the gateway unready: every replica shares them, so pulling every replica out of the
 * Service would turn a partial outage into a total one.
 */
export class RedisConnections {
  readonly writesRefused: Counter;
  readonly #roles: RedisRoles;

  constructor(registry: Registry, roles: RedisRoles) {
    this.#roles = roles;
    const registers = [registry];
    const status = (role: RedisRole) => this.status()[role];
    new Gauge({
      name: 'redis_connection_up',
      help: 'Whether the connection of each Redis role (cache, state) is ready: 1 up, 0 down',
      labelNames: ['role'],
      registers,
      collect() {
        this.reset();
        for (const role of ['cache', 'state'] as const) {
          const now = status(role);
          if (now !== 'off') this.set({ role }, now === 'up' ? 1 : 0);
        }
      },
    });
    const errors = new Counter({
      name: 'redis_connection_errors_total',
      help: 'Socket and reconnect errors of each Redis role (cache, state)',
      labelNames: ['role'],
      registers,
    });
    // A shared client (STATE_REDIS_URL left to default in a test) counts once, as the cache.
    roles.cache?.on('error', () => errors.inc({ role: 'cache' }));
    if (roles.state !== null && roles.state !== roles.cache) {
      roles.state.on('error', () => errors.inc({ role: 'state' }));
    }
    new Gauge({
      name: 'state_redis_noeviction',
      help: 'Whether the state Redis never evicts: 1 when its maxmemory-policy is noeviction, else 0',
      registers,
      collect() {
        this.reset();
        const policy = roles.stateEvictionPolicy();
        if (policy !== null) this.set(policy === DURABLE_EVICTION_POLICY ? 1 : 0);
      },
    });
    this.writesRefused = new Counter({
      name: 'state_redis_writes_refused_total',
      help: 'State writes refused because the state Redis is full (answered 503 UNAVAILABLE)',
      registers,
    });
  }

  /** Each role's connection now. */
  status(): Record<RedisRole, RedisConnectionStatus> {
    const of = (client: RedisClient | null): RedisConnectionStatus =>
      client === null ? 'off' : client.isReady ? 'up' : 'down';
    return { cache: of(this.#roles.cache), state: of(this.#roles.state) };
  }
}
