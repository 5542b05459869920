/**
 * The reference profile a training export writes beside a model's graph (`drift` in
 * model.json), and the binning both sides share: the export bins the training rows, the gateway
 * bins live rows with the same edges, and PSI compares the two distributions.
 */

/** One input column's bins: `edges` are the cut points, so there are edges.length + 1 bins. */
export interface FeatureProfile {
  readonly name: string;
  /** Increasing cut points; bin i holds values in [edges[i-1], edges[i]), open at both ends. */
  readonly edges: readonly number[];
  /** Training rows per bin. */
  readonly counts: readonly number[];
}

/** `drift` in model.json. */
export interface DriftProfile {
  /** Training rows the counts were taken from. */
  readonly rows: number;
  readonly features: readonly FeatureProfile[];
  /** Training rows per class (label index). */
  readonly classes: readonly number[];
}

/** Quantile bins per feature: few enough that a training set of ~100 rows fills each. */
export const DRIFT_BINS = 5;

/** The bin of a value: how many cut points are at or below it. At most DRIFT_BINS - 1 steps. */
export function binOf(edges: readonly number[], value: number): number {
  let bin = 0;
  while (bin < edges.length && value >= (edges[bin] as number)) bin++;
  return bin;
}

/**
 * Builds a profile from training rows: per feature, cut points at the quantiles i / bins of the
 * training values (repeated values merge cut points, so a column with few distinct values gets
 * fewer bins), the training rows counted into them, and the class counts.
 */
export function buildDriftProfile(
  rows: readonly (readonly number[])[],
  labels: readonly number[],
  featureNames: readonly string[],
  classCount: number,
  bins = DRIFT_BINS,
): DriftProfile {
  const features = featureNames.map((name, column) => {
    const values = rows.map((r) => r[column] as number).sort((a, b) => a - b);
    const edges: number[] = [];
    for (let i = 1; i < bins; i++) {
      const cut = values[Math.floor((i * values.length) / bins)] as number;
      if (cut > (edges.at(-1) ?? Number.NEGATIVE_INFINITY) && cut > (values[0] as number)) {
        edges.push(cut);
      }
    }
    const counts = new Array<number>(edges.length + 1).fill(0);
    for (const v of values) {
      const bin = binOf(edges, v);
      counts[bin] = (counts[bin] as number) + 1;
    }
    return { name, edges, counts };
  });
  const classes = new Array<number>(classCount).fill(0);
  for (const label of labels) classes[label] = (classes[label] as number) + 1;
  return { rows: rows.length, features, classes };
}

/**
 * Population stability index of `actual` against `expected` counts over the same bins:
 * sum of (a - e) * ln(a / e) over the bins' shares. Each bin gets half a row (Laplace
 * smoothing) so an empty bin costs a finite amount. Under 0.1: no real change; 0.1 to 0.25:
 * a moderate shift; above 0.25: the population has changed.
 */
export function psi(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  const n = expected.length;
  let eTotal = 0;
  let aTotal = 0;
  for (let i = 0; i < n; i++) {
    eTotal += expected[i] as number;
    aTotal += actual[i] as number;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = ((expected[i] as number) + 0.5) / (eTotal + 0.5 * n);
    const a = ((actual[i] as number) + 0.5) / (aTotal + 0.5 * n);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/** Checks `drift` from a manifest against its width and class count; a message on failure. */
export function driftProfileProblem(
  value: unknown,
  width: number,
  classes: number,
): { field: string; message: string } | null {
  if (typeof value !== 'object' || value === null) {
    return { field: 'drift', message: 'must be an object' };
  }
  const p = value as { rows?: unknown; features?: unknown; classes?: unknown };
  if (!Number.isInteger(p.rows) || (p.rows as number) < 1) {
    return { field: 'drift.rows', message: 'must be a positive integer' };
  }
  if (!Array.isArray(p.features) || p.features.length !== width) {
    return { field: 'drift.features', message: `must profile each of the ${width} columns` };
  }
  for (const [i, f] of (p.features as unknown[]).entries()) {
    const feature = f as { name?: unknown; edges?: unknown; counts?: unknown };
    const edges = feature?.edges;
    const counts = feature?.counts;
    const ok =
      typeof feature?.name === 'string' &&
      feature.name !== '' &&
      Array.isArray(edges) &&
      edges.every((e, j) => Number.isFinite(e) && (j === 0 || e > (edges[j - 1] as number))) &&
      Array.isArray(counts) &&
      counts.length === edges.length + 1 &&
      counts.every((c) => Number.isInteger(c) && c >= 0);
    if (!ok) {
      return {
        field: `drift.features[${i}]`,
        message: 'must have a name, increasing edges and one count per bin',
      };
    }
  }
  if (
    !Array.isArray(p.classes) ||
    p.classes.length !== classes ||
    !p.classes.every((c) => Number.isInteger(c) && c >= 0)
  ) {
    return { field: 'drift.classes', message: `must count each of the ${classes} classes` };
  }
  return null;
}
