import { createHash } from 'node:crypto';

/**
 * The cache key of a prediction: model, version and the SHA-256 of the canonical rows.
 * JSON.stringify is canonical for finite number[][] (shortest round-trip form, and -0 prints
 * as 0), so the key is the same in every replica and after every restart.
 */
export function cacheKey(
  model: string,
  version: string,
  rows: readonly (readonly number[])[],
): string {
  const digest = createHash('sha256').update(JSON.stringify(rows)).digest('hex');
  return `mlapi:v1:pred:${model}:${version}:${digest}`;
}
