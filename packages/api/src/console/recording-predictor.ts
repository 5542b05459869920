import { performance } from 'node:perf_hooks';
import { toApiError } from '../errors.js';
import type { Predictor, PredictRequest } from '../predictor.js';
import type { ModelStats } from './model-stats.js';

/**
 * Wraps the predictor every route family calls so each answer lands in the console's stats under
 * the (model, version) that produced it. A failure is recorded only for a model the registry
 * knows, so a caller inventing names cannot grow the stats.
 */
export function recordingPredictor(inner: Predictor, stats: ModelStats): Predictor {
  return {
    choose: (model, version, caller) => inner.choose(model, version, caller),
    model: (name, version) => inner.model(name, version),
    ready: (name, version) => inner.ready(name, version),
    async predict(request) {
      const started = performance.now();
      try {
        const prediction = await inner.predict(request);
        const { result } = prediction;
        stats.success(
          result.model_name,
          result.model_version,
          performance.now() - started,
          prediction.cached,
        );
        return prediction;
      } catch (err) {
        const version = failedVersion(inner, request);
        if (version !== undefined) {
          stats.failure(request.model, version, toApiError(err).statusCode);
        }
        throw err;
      }
    },
  };
}

/**
 * The version a failed request is counted under: the one chosen for it, else the one it asked
 * for, else the model's primary. Undefined for a model (or version) nobody announced.
 */
function failedVersion(inner: Predictor, request: PredictRequest): string | undefined {
  const asked = request.choice?.spec.version ?? request.version;
  try {
    return inner.model(request.model, asked).version;
  } catch {
    return undefined;
  }
}
