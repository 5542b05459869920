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
  return hashedKey(model, version, JSON.stringify(rows));
}

/** {@link cacheKey} from rows already in canonical JSON. */
export function hashedKey(model: string, version: string, json: string): string {
  const digest = createHash('sha256').update(json).digest('hex');
  return `mlapi:v1:pred:${model}:${version}:${digest}`;
}

/** Longer row JSON is hashed even in process, so a big request cannot pin a big key. */
const LOCAL_KEY_MAX_CHARS = 1024;

/**
 * A key for maps that never leave this process (the in-process cache, single-flight): the
 * canonical JSON itself when short, which costs nothing to hash and cannot collide. Its `r:`
 * prefix keeps it apart from the hashed form used for long rows.
 */
export function localKey(model: string, version: string, json: string): string {
  return json.length <= LOCAL_KEY_MAX_CHARS
    ? `r:${model}:${version}:${json}`
    : hashedKey(model, version, json);
}
