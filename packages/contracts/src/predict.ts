/** The RPC method (AMQP `type`) of a prediction. */
export const PREDICT_METHOD = 'predict';

/** The body of a `predict` request on the wire: one row of numbers per instance. */
export interface PredictRequestBody {
  readonly inputs: readonly (readonly number[])[];
}

/** A worker's `predict` result (DESIGN.md, "Wire contract"). */
export interface PredictResult {
  readonly model_name: string;
  readonly model_version: string;
  readonly predictions: readonly number[];
  readonly probabilities: readonly (readonly number[])[];
  /** `labels[i]` is the label of `predictions[i]`. */
  readonly labels: readonly string[];
  /**
   * The content hash of the graph that answered (the manifest's `sha256`), so the gateway caches
   * an answer under the graph that really produced it, even while two graphs share a version.
   */
  readonly model_sha256?: string;
}

/**
 * Checks a reply before it is served or cached: one prediction, one probability row and one
 * label per input row.
 */
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
