// Request bodies for every route family. Plain TypeScript with no k6 or Node imports, so the k6
// scripts, the Node benchmark harness and the validation test all build byte-identical bodies.

export const MODEL_NAMES = ['fast', 'intermediate', 'slow'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** The original load test's traffic mix: fast 3 : intermediate 2 : slow 1. */
export const MIX_WEIGHTS: Readonly<Record<ModelName, number>> = Object.freeze({
  fast: 3,
  intermediate: 2,
  slow: 1,
});

// One full cycle of the mix, so request i gets MIX_CYCLE[i % 6]: exact proportions over any
// whole number of cycles and no random drift in short runs.
const MIX_CYCLE: readonly ModelName[] = MODEL_NAMES.flatMap((name) =>
  Array.from({ length: MIX_WEIGHTS[name] }, () => name),
);

/** The model the i-th request of a mixed run goes to (i ≥ 0). */
export function mixedModel(i: number): ModelName {
  return MIX_CYCLE[i % MIX_CYCLE.length] as ModelName;
}

/** What a payload builder needs to know about a model: taken from its manifest or V2 metadata. */
export interface ModelShape {
  name: string;
  /** The V2 input tensor name (manifest `inputs[0].name`). */
  inputName: string;
  /** Features per row (manifest `inputs[0].shape[1]`). */
  features: number;
}

// Iris-like magnitudes (centimetres): the models were trained on them, so replies stay realistic.
const BASE_ROW = [5.8, 3.0, 4.3, 1.3];

/**
 * A row that is the same on every call: the cache-hit workload.
 */
export function fixedRow(features: number): number[] {
  checkFeatures(features);
  return Array.from({ length: features }, (_, j) => BASE_ROW[j % BASE_ROW.length] as number);
}

/**
 * A row that differs from every other seed's row (for 0 ≤ seed < 1e12), so the gateway's cache
 * (keyed by a hash of the rows) misses. The first two features move by 1e-6 steps, which keeps
 * the values in the trained range while making each row distinct after JSON round-tripping.
 */
export function uniqueRow(features: number, seed: number): number[] {
  checkFeatures(features);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new TypeError(`seed must be a non-negative safe integer, got ${seed}`);
  }
  const row = fixedRow(features);
  const low = seed % 1_000_000;
  const high = Math.floor(seed / 1_000_000) % 1_000_000;
  row[0] = round6((row[0] as number) + low * 1e-6);
  if (features > 1) row[1] = round6((row[1] as number) + high * 1e-6);
  else if (high > 0) row[0] = round6((row[0] as number) + high);
  return row;
}

export interface PredictBody {
  model_name: string;
  input_data: number[][];
  request_id?: string;
}

/** `POST /predict`, the original system's route. */
export function predictBody(model: string, rows: number[][], requestId?: string): PredictBody {
  const body: PredictBody = { model_name: model, input_data: rows };
  if (requestId !== undefined) body.request_id = requestId;
  return body;
}

export interface V1Body {
  instances: number[][];
}

/** KServe V1: `POST /v1/models/{model}:predict`. */
export function v1Body(rows: number[][]): V1Body {
  return { instances: rows };
}

export interface V2Body {
  inputs: { name: string; shape: [number, number]; datatype: 'FP32' | 'FP64'; data: number[] }[];
}

/** Open Inference Protocol V2: `POST /v2/models/{model}/infer`, flat row-major data. */
export function v2Body(
  shape: ModelShape,
  rows: number[][],
  datatype: 'FP32' | 'FP64' = 'FP32',
): V2Body {
  return {
    inputs: [
      { name: shape.inputName, shape: [rows.length, shape.features], datatype, data: rows.flat() },
    ],
  };
}

export type Route = 'predict' | 'v1' | 'v2';
export const ROUTES: readonly Route[] = ['predict', 'v1', 'v2'];

/** The path of a model's inference route in the given family. */
export function routePath(route: Route, model: string): string {
  const m = encodeURIComponent(model);
  if (route === 'v1') return `/v1/models/${m}:predict`;
  if (route === 'v2') return `/v2/models/${m}/infer`;
  return '/predict';
}

/** The body of a model's inference route in the given family. */
export function routeBody(route: Route, shape: ModelShape, rows: number[][]): object {
  if (route === 'v1') return v1Body(rows);
  if (route === 'v2') return v2Body(shape, rows);
  return predictBody(shape.name, rows);
}

/** Reads a model's shape from V2 model metadata (`GET /v2/models/{m}`) or a manifest. */
export function shapeFromMetadata(name: string, metadata: unknown): ModelShape {
  const inputs = (metadata as { inputs?: unknown } | null)?.inputs;
  const first = Array.isArray(inputs) ? (inputs[0] as { name?: unknown; shape?: unknown }) : null;
  const shape = first?.shape;
  const features = Array.isArray(shape) ? Number(shape[shape.length - 1]) : Number.NaN;
  if (typeof first?.name !== 'string' || !Number.isInteger(features) || features < 1) {
    throw new TypeError(`metadata of model ${name} has no usable inputs[0] name and shape`);
  }
  return { name, inputName: first.name, features };
}

function checkFeatures(features: number): void {
  if (!Number.isInteger(features) || features < 1 || features > 4096) {
    throw new TypeError(`features must be an integer in [1, 4096], got ${features}`);
  }
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
