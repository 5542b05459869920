import type { PredictResult } from '../predict-result.js';

/**
 * Where successful predictions are kept. Implementations may reject (Redis down); the caller
 * treats a rejection as a miss and counts it, so a cache fault is never the caller's 5xx.
 */
export interface PredictionCache {
  get(key: string): Promise<PredictResult | undefined>;
  set(key: string, value: PredictResult, ttlSeconds: number): Promise<void>;
  close(): Promise<void>;
}
