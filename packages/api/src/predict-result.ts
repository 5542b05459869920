/** A worker's `predict` result (DESIGN.md, "Wire contract"). */
export interface PredictResult {
  readonly model_name: string;
  readonly model_version: string;
  readonly predictions: readonly number[];
  readonly probabilities: readonly (readonly number[])[];
  readonly labels: readonly string[];
}

/** Checks a reply before it is served or cached: one prediction per row, and nothing else. */
export function isPredictResult(value: unknown, rows: number): value is PredictResult {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.model_name === 'string' &&
    typeof r.model_version === 'string' &&
    Array.isArray(r.predictions) &&
    r.predictions.length === rows &&
    Array.isArray(r.probabilities) &&
    r.probabilities.length === rows &&
    Array.isArray(r.labels) &&
    r.labels.length === rows
  );
}
