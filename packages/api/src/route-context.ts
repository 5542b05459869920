import type { ModelAliases } from './aliases/model-aliases.js';
import type { Config } from './config.js';
import type { Predictor } from './predictor.js';
import type { ModelRegistry } from './registry.js';
import type { RedisConnectionStatus, RedisRole } from './state/redis-metrics.js';

/** Whether the gateway should take traffic; main.ts flips `draining` on SIGTERM. */
export interface GatewayState {
  draining: boolean;
  /** True when the broker is connected and the gateway is not draining. */
  ready(): boolean;
  /** Each Redis role's connection (shown by /health/ready; never makes the gateway unready). */
  redis?(): Record<RedisRole, RedisConnectionStatus>;
}

/** What every route plugin is given. */
export interface RouteContext {
  readonly config: Config;
  readonly predictor: Predictor;
  readonly registry: ModelRegistry;
  /** Manifest and run-time aliases, for the routes that list models. */
  readonly aliases: ModelAliases;
  readonly state: GatewayState;
}

/** A single row `number[]` is one instance; `number[][]` is many. */
export function toRows(
  data: readonly number[] | readonly (readonly number[])[],
): readonly (readonly number[])[] {
  return typeof data[0] === 'number'
    ? [data as readonly number[]]
    : (data as readonly (readonly number[])[]);
}
