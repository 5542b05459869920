import { WorkerError } from './errors.js';

/** One tensor as `model.json` describes it. */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

/**
 * `models/<name>/model.json`. The worker needs the fields below; anything else the export writes
 * (accuracy, training notes, ...) is kept and announced unchanged.
 */
export interface ModelManifest {
  readonly name: string;
  readonly version: string;
  readonly platform: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly labels: readonly string[];
  readonly [extra: string]: unknown;
}

/** What inference needs from the manifest, worked out once. */
export interface ModelSpec {
  readonly name: string;
  readonly version: string;
  readonly inputName: string;
  readonly outputName: string;
  /** Values per input row. */
  readonly width: number;
  /** Probabilities per output row; equals `labels.length`. */
  readonly classes: number;
  readonly labels: readonly string[];
}

/** The output the worker reads; predictions are its argmax. */
export const PROBABILITIES_OUTPUT = 'probabilities';

/** Model names become queue names (`mlapi.<name>`), so they follow the wire contract's pattern. */
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

function bad(field: string, message: string): WorkerError {
  return new WorkerError('WORKER_MANIFEST', `model.json: ${field} ${message}`, { subject: field });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw bad(field, 'must be a non-empty string');
  return value;
}

function tensor(value: unknown, field: string): TensorSpec {
  if (!isRecord(value)) throw bad(field, 'must be an object');
  const name = nonEmptyString(value.name, `${field}.name`);
  const datatype = nonEmptyString(value.datatype, `${field}.datatype`);
  const shape = value.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= -1)) {
    throw bad(`${field}.shape`, 'must be an array of integers (-1 for a free dimension)');
  }
  return { name, datatype, shape };
}

function tensors(value: unknown, field: string): TensorSpec[] {
  if (!Array.isArray(value) || value.length === 0) throw bad(field, 'must be a non-empty array');
  return value.map((t, i) => tensor(t, `${field}[${i}]`));
}

/** A `[-1, n]` FP32 matrix: any number of rows of `n` values. */
function rowWidth(spec: TensorSpec, field: string): number {
  if (spec.datatype !== 'FP32') throw bad(`${field}.datatype`, 'must be FP32');
  const [rows, width] = spec.shape;
  if (spec.shape.length !== 2 || rows !== -1 || width === undefined || width < 1) {
    throw bad(`${field}.shape`, 'must be [-1, n] with n >= 1');
  }
  return width;
}

/**
 * Checks a parsed `model.json` and returns it frozen with the derived spec. Throws a
 * `WORKER_MANIFEST` WorkerError whose `subject` names the first bad field.
 */
export function parseManifest(value: unknown): { manifest: ModelManifest; spec: ModelSpec } {
  if (!isRecord(value)) throw bad('(root)', 'must be a JSON object');
  const name = nonEmptyString(value.name, 'name');
  if (!MODEL_NAME_PATTERN.test(name)) throw bad('name', `must match ${MODEL_NAME_PATTERN}`);
  const version = nonEmptyString(value.version, 'version');
  const platform = nonEmptyString(value.platform, 'platform');
  const inputs = tensors(value.inputs, 'inputs');
  const outputs = tensors(value.outputs, 'outputs');
  if (!Array.isArray(value.labels) || value.labels.length === 0) {
    throw bad('labels', 'must be a non-empty array of strings');
  }
  const labels = value.labels.map((l, i) => nonEmptyString(l, `labels[${i}]`));

  // The worker feeds exactly one input; a graph with more would need values we cannot supply.
  const input = inputs[0];
  if (input === undefined || inputs.length !== 1)
    throw bad('inputs', 'must hold exactly one tensor');
  const width = rowWidth(input, 'inputs[0]');
  const outIndex = outputs.findIndex((o) => o.name === PROBABILITIES_OUTPUT);
  const output = outputs[outIndex];
  if (output === undefined) throw bad('outputs', `must include "${PROBABILITIES_OUTPUT}"`);
  const classes = rowWidth(output, `outputs[${outIndex}]`);
  if (classes !== labels.length) {
    throw bad('labels', `has ${labels.length} entries but ${PROBABILITIES_OUTPUT} has ${classes}`);
  }

  const manifest: ModelManifest = deepFreeze({
    ...value,
    name,
    version,
    platform,
    inputs,
    outputs,
    labels,
  });
  const spec: ModelSpec = Object.freeze({
    name,
    version,
    inputName: input.name,
    outputName: output.name,
    width,
    classes,
    labels: manifest.labels,
  });
  return { manifest, spec };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
