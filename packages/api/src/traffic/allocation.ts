import { TRAFFIC_BUCKETS } from '@mlapi/contracts';

/** Buckets [from, to) served by one version. */
export interface BucketRange {
  readonly version: string;
  readonly from: number;
  readonly to: number;
}

/**
 * Whole shares of `total` in proportion to `weights` (largest remainder, ties to the earlier
 * entry), so the counts always add up to exactly `total`.
 */
export function apportion(
  weights: readonly (readonly [string, number])[],
  total: number,
): Map<string, number> {
  const sum = weights.reduce((s, [, w]) => s + w, 0);
  const counts = new Map<string, number>();
  if (sum <= 0) return counts;
  let given = 0;
  const remainders: { version: string; rest: number; order: number }[] = [];
  weights.forEach(([version, weight], order) => {
    const exact = (weight * total) / sum;
    const whole = Math.floor(exact);
    counts.set(version, whole);
    given += whole;
    remainders.push({ version, rest: exact - whole, order });
  });
  remainders.sort((a, b) => b.rest - a.rest || a.order - b.order);
  for (let i = 0; given < total; i++, given++) {
    const r = remainders[i % remainders.length] as (typeof remainders)[number];
    counts.set(r.version, (counts.get(r.version) ?? 0) + 1);
  }
  return counts;
}

/** Consecutive ranges in the given order, each as wide as its count. */
export function layout(
  order: readonly string[],
  counts: ReadonlyMap<string, number>,
): BucketRange[] {
  const ranges: BucketRange[] = [];
  let from = 0;
  for (const version of order) {
    const n = counts.get(version) ?? 0;
    if (n > 0) ranges.push({ version, from, to: from + n });
    from += n;
  }
  return ranges;
}

/**
 * The buckets of a new set of weights, moving as few callers as possible from `previous`: a
 * version that shrinks gives up its highest buckets, and only those go to the versions that
 * grow. So raising a canary from 10% to 50% moves callers only from the others to the canary,
 * and every caller already on it stays. Without a previous allocation, versions are laid out
 * in `order`.
 */
export function reallocate(
  previous: readonly BucketRange[] | null,
  weights: readonly (readonly [string, number])[],
  order: readonly string[],
): BucketRange[] {
  const target = apportion(weights, TRAFFIC_BUCKETS);
  if (previous === null || previous.length === 0) return layout(order, target);
  const owner: (string | null)[] = new Array(TRAFFIC_BUCKETS).fill(null);
  const held = new Map<string, number>();
  for (const r of previous) {
    for (let b = r.from; b < r.to; b++) owner[b] = r.version;
    held.set(r.version, (held.get(r.version) ?? 0) + (r.to - r.from));
  }
  // Shrinking versions release their highest buckets first, which keeps ranges whole.
  const freed: number[] = [];
  for (let b = TRAFFIC_BUCKETS - 1; b >= 0; b--) {
    const version = owner[b];
    if (version === null || version === undefined) {
      freed.push(b);
      continue;
    }
    const have = held.get(version) ?? 0;
    if (have > (target.get(version) ?? 0)) {
      owner[b] = null;
      held.set(version, have - 1);
      freed.push(b);
    }
  }
  freed.sort((a, b) => a - b);
  let next = 0;
  for (const version of order) {
    const need = (target.get(version) ?? 0) - (held.get(version) ?? 0);
    for (let i = 0; i < need; i++) owner[freed[next++] as number] = version;
  }
  return compress(owner);
}

function compress(owner: readonly (string | null)[]): BucketRange[] {
  const ranges: BucketRange[] = [];
  let from = 0;
  for (let b = 1; b <= owner.length; b++) {
    if (b === owner.length || owner[b] !== owner[from]) {
      const version = owner[from];
      if (version !== null && version !== undefined) ranges.push({ version, from, to: b });
      from = b;
    }
  }
  return ranges;
}

/** The version owning a bucket (ranges are few: a linear scan beats anything cleverer). */
export function ownerOf(ranges: readonly BucketRange[], bucket: number): string | undefined {
  for (const r of ranges) if (bucket >= r.from && bucket < r.to) return r.version;
  return undefined;
}

/** Buckets per version in a set of ranges. */
export function bucketCounts(ranges: readonly BucketRange[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of ranges) counts.set(r.version, (counts.get(r.version) ?? 0) + (r.to - r.from));
  return counts;
}

/**
 * Picks among weighted candidates by position: the bucket scaled onto their cumulative weights.
 * Deterministic, so a caller rerouted away from a version without workers stays put too.
 */
export function pickWeighted(
  candidates: readonly (readonly [string, number])[],
  bucket: number,
): string | undefined {
  let total = 0;
  for (const [, w] of candidates) total += w;
  if (total <= 0) return undefined;
  const at = (bucket * total) / TRAFFIC_BUCKETS;
  let cumulative = 0;
  for (const [version, w] of candidates) {
    cumulative += w;
    if (at < cumulative) return version;
  }
  return candidates.at(-1)?.[0];
}

/** The ranges that {@link pickWeighted} gives over every bucket, for storing or showing. */
export function rangesOfWeighted(
  candidates: readonly (readonly [string, number])[],
): BucketRange[] {
  const owner: (string | null)[] = new Array(TRAFFIC_BUCKETS);
  for (let b = 0; b < TRAFFIC_BUCKETS; b++) owner[b] = pickWeighted(candidates, b) ?? null;
  return compress(owner);
}
