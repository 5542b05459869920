import type { PredictResult } from '@mlapi/contracts';

/**
 * Where successful predictions are kept. Implementations may reject (Redis down); the caller
 * treats a rejection as a miss and counts it, so a cache fault is never the caller's 5xx.
 */
export interface PredictionCache {
  /**
   * True when entries live in this process only, so keys need not agree across replicas and
   * the cheap `localKey` is used; absent or false: the stable hashed `cacheKey` (cache-key.ts).
   */
  readonly local?: boolean;
  get(key: string): Promise<PredictResult | undefined>;
  set(key: string, value: PredictResult, ttlSeconds: number): Promise<void>;
  close(): Promise<void>;
}
