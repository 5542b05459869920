import { isModelName } from './model-name.js';

export interface TensorSpec {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

/** What the gateway needs from a worker's model.json, checked once per announcement. */
export interface ModelManifest {
  readonly name: string;
  readonly version: string;
  readonly platform: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly labels: readonly string[];
  /** Columns per row: the input's last dimension. */
  readonly width: number;
}

function tensors(value: unknown): TensorSpec[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: TensorSpec[] = [];
  for (const t of value) {
    if (typeof t !== 'object' || t === null) return undefined;
    const { name, datatype, shape } = t as Record<string, unknown>;
    if (typeof name !== 'string' || typeof datatype !== 'string' || !Array.isArray(shape)) {
      return undefined;
    }
    if (!shape.every((d) => Number.isInteger(d))) return undefined;
    out.push({ name, datatype, shape: shape as number[] });
  }
  return out;
}

/** Parses an announced manifest; undefined when it is not one we can serve. */
export function parseManifest(value: unknown): ModelManifest | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  const inputs = tensors(m.inputs);
  const outputs = tensors(m.outputs) ?? [];
  if (typeof m.name !== 'string' || !isModelName(m.name)) return undefined;
  if (typeof m.version !== 'string' && typeof m.version !== 'number') return undefined;
  if (inputs === undefined || inputs.length !== 1) return undefined;
  const width = inputs[0]?.shape.at(-1);
  if (width === undefined || width < 1) return undefined;
  const labels =
    Array.isArray(m.labels) && m.labels.every((l) => typeof l === 'string') ? m.labels : [];
  return Object.freeze({
    name: m.name,
    version: String(m.version),
    platform: typeof m.platform === 'string' ? m.platform : 'onnxruntime',
    inputs,
    outputs,
    labels: labels as string[],
    width,
  });
}
