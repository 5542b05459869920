export type { TrainingErrorCode } from './errors.js';
export { TrainingError } from './errors.js';
export type {
  ExportedModel,
  ExportOptions,
  ExportResult,
  NormalizedExportOptions,
  ReferenceEntry,
} from './export-models.js';
export { DEFAULT_OPTIONS, exportModels, normalizeOptions } from './export-models.js';
export type { Predictions } from './inference.js';
export { createSession, predict } from './inference.js';
export type { Dataset } from './iris.js';
export { FEATURES, LABELS, loadIris, parseIrisCsv } from './iris.js';
export type { Logger } from './logger.js';
export type { Manifest, TensorSpec } from './manifest.js';
export type { ModelName } from './models.js';
export { MODEL_NAMES } from './models.js';
export type { DenseLayer, Network } from './network.js';
export { flopsPerRow, parameterCount } from './network.js';
export { decodeModel, INPUT_NAME, OPSET, OUTPUT_NAME } from './onnx-export.js';
export { Prng } from './prng.js';
export type { Split } from './split.js';
export { stratifiedSplit } from './split.js';
