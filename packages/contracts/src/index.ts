export type { ApiKeyScope, ApiKeyView } from './api-keys.js';
export {
  API_KEY_ID_PATTERN,
  API_KEY_PATTERN,
  API_KEY_PREFIX,
  API_KEY_SCOPES,
  isApiKeyId,
} from './api-keys.js';
export type { DriftProfile, FeatureProfile } from './drift-profile.js';
export { binOf, buildDriftProfile, DRIFT_BINS, psi } from './drift-profile.js';
export type { WireErrorCode } from './error-codes.js';
export { isWireErrorCode, WIRE_ERROR_CODES } from './error-codes.js';
export type { JobCancel, JobChunk, JobChunkResult } from './jobs.js';
export {
  JOB_CANCEL_EXCHANGE,
  JOB_CHUNK_METHOD,
  JOB_QUEUE_OPTIONS,
  JOB_RESULTS_QUEUE,
  jobQueue,
} from './jobs.js';
export type { ModelManifest, ModelSpec, TensorSpec, WorkerPresenceMeta } from './manifest.js';
export { ManifestError, PROBABILITIES_OUTPUT, parseManifest } from './manifest.js';
export {
  isModelName,
  isModelVersion,
  MODEL_NAME_PATTERN,
  MODEL_VERSION_PATTERN,
} from './names.js';
export { isFloat32Finite } from './numbers.js';
export type { PredictRequestBody, PredictResult } from './predict.js';
export { isPredictResult, PREDICT_METHOD } from './predict.js';
export type { ModelRef } from './queues.js';
export { MODEL_QUEUE_PREFIX, modelOfQueue, modelQueue } from './queues.js';
export type { TelemetryProblem, TracingSdk, TracingSdkOptions } from './telemetry.js';
export {
  OTLP_PROTOCOLS,
  startTracing,
  TRACES_SAMPLERS,
  telemetryProblem,
  tracingConfigured,
} from './telemetry.js';
export type { AutoRollbackPolicy, ShadowPolicy, TrafficPolicy } from './traffic.js';
export {
  DEFAULT_AUTO_ROLLBACK,
  parseTrafficPolicy,
  stickyBucket,
  TRAFFIC_BUCKETS,
  TrafficPolicyError,
} from './traffic.js';
