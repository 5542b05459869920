export type { AppDeps, GatewayRpc } from './app.js';
export { buildApp } from './app.js';
export { LruCache } from './cache/lru-cache.js';
export type { PredictionCache } from './cache/prediction-cache.js';
export { RedisCache } from './cache/redis-cache.js';
export { cacheKey } from './cache-key.js';
export type { CoalescerLogger, CoalescerMetrics, CoalescerOptions } from './coalescer.js';
export { Coalescer, DEFAULT_COALESCER_OPTIONS, normalizeCoalescerOptions } from './coalescer.js';
export type { Config, LogLevel } from './config.js';
export { ConfigError, DEFAULT_CONFIG, loadConfig } from './config.js';
export type { OwnedDeps } from './deps.js';
export { createDeps } from './deps.js';
export type { ErrorBody, ErrorCode } from './errors.js';
export { ApiError, ERROR_CATALOGUE, ERROR_CODES, toApiError } from './errors.js';
export type {
  Prediction,
  PredictionServiceOptions,
  Predictor,
  PredictRequest,
  RpcCaller,
} from './predictor.js';
export { PredictionService } from './predictor.js';
export type { ModelRegistry, PresenceSource } from './registry.js';
export { PresenceRegistry } from './registry.js';
