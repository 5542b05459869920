import { performance } from 'node:perf_hooks';
import type { ModelSpec } from '@mlapi/contracts';
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
    resolve: (name, version) => inner.resolve(name, version),
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
        const spec = failedSpec(inner, request);
        if (spec !== undefined) {
          stats.failure(spec.name, spec.version, toApiError(err).statusCode);
        }
        throw err;
      }
    },
  };
}

/**
 * The (model, version) a failed request is counted under: the version chosen for it, else the
 * one it asked for, else the model's primary; always the real model, never an alias. Undefined
 * for a model (or version) nobody announced.
 */
function failedSpec(inner: Predictor, request: PredictRequest): ModelSpec | undefined {
  if (request.choice !== undefined) return request.choice.spec;
  try {
    return inner.model(request.model, request.version);
  } catch {
    return undefined;
  }
}
