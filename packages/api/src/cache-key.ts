import { createHash } from 'node:crypto';

/** The graph part of a key: a 64-bit prefix of its sha256 is plenty to tell graphs apart. */
const GRAPH_CHARS = 16;

function graphPart(sha256: string | null): string {
  return sha256 === null ? '-' : sha256.slice(0, GRAPH_CHARS);
}

/**
 * The cache key of a prediction: model, version, the graph's content hash and the SHA-256 of the
 * canonical rows. The content hash means a retrained graph published under the same version
 * string never serves the old graph's answers. JSON.stringify is canonical for finite
 * number[][] (shortest round-trip form, and -0 prints as 0), so the key is the same in every
 * replica and after every restart.
 */
export function cacheKey(
  model: string,
  version: string,
  sha256: string | null,
  rows: readonly (readonly number[])[],
): string {
  return hashedKey(model, version, sha256, JSON.stringify(rows));
}

/** {@link cacheKey} from rows already in canonical JSON. */
export function hashedKey(
  model: string,
  version: string,
  sha256: string | null,
  json: string,
): string {
  const digest = createHash('sha256').update(json).digest('hex');
  return `mlapi:v2:pred:${model}:${version}:${graphPart(sha256)}:${digest}`;
}

/** Longer row JSON is hashed even in process, so a big request cannot pin a big key. */
const LOCAL_KEY_MAX_CHARS = 1024;

/**
 * A key for maps that never leave this process (the in-process cache, single-flight): the
 * canonical JSON itself when short, which costs nothing to hash and cannot collide. Its `r:`
 * prefix keeps it apart from the hashed form used for long rows.
 */
export function localKey(
  model: string,
  version: string,
  sha256: string | null,
  json: string,
): string {
  return json.length <= LOCAL_KEY_MAX_CHARS
    ? `r:${model}:${version}:${graphPart(sha256)}:${json}`
    : hashedKey(model, version, sha256, json);
}
