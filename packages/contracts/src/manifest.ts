import { type DriftProfile, driftProfileProblem } from './drift-profile.js';
import { isModelName, isModelVersion, MODEL_NAME_PATTERN, MODEL_VERSION_PATTERN } from './names.js';

/** One tensor as `model.json` describes it. */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

/**
 * `models/<name>/model.json`, as the training export writes it and workers announce it.
 * Fields beyond these (accuracy, training notes, ...) are kept and announced unchanged.
 */
export interface ModelManifest {
  readonly name: string;
  readonly version: string;
  readonly platform: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly labels: readonly string[];
  /** Hex SHA-256 of model.onnx; keys the cache so a retrained graph never serves old answers. */
  readonly sha256?: string;
  /** Input column names, in order. */
  readonly features?: readonly string[];
  /**
   * Other names the model answers to (DESIGN.md, "Versions"), e.g. the original system's
   * `fast-iris-model`. Same pattern as a model name; the gateway refuses one that shadows a model
   * or that another model claimed first.
   */
  readonly aliases?: readonly string[];
  readonly [extra: string]: unknown;
}

/** What serving a model needs from its manifest, worked out once. */
export interface ModelSpec {
  readonly name: string;
  readonly version: string;
  readonly platform: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly labels: readonly string[];
  readonly inputName: string;
  readonly outputName: string;
  /** Values per input row. */
  readonly width: number;
  /** Probabilities per output row; equals `labels.length`. */
  readonly classes: number;
  /** The graph's content hash, or null when the manifest does not carry one. */
  readonly sha256: string | null;
  /** Input column names (`width` of them), or empty when the manifest does not name them. */
  readonly features: readonly string[];
  /** The aliases the manifest declares; empty when none. */
  readonly aliases: readonly string[];
  /** The training data's reference profile, for drift; null when the export wrote none. */
  readonly drift: DriftProfile | null;
}

/** What a worker announces as its presence meta. */
export interface WorkerPresenceMeta {
  readonly manifest: ModelManifest;
}

/** The output the worker reads; predictions are its argmax. */
export const PROBABILITIES_OUTPUT = 'probabilities';

/** A manifest that cannot be served; `field` names the first bad field. */
export class ManifestError extends Error {
  readonly code = 'MANIFEST_INVALID';
  readonly field: string;
  constructor(field: string, message: string) {
    super(`model.json: ${field} ${message}`);
    this.name = 'ManifestError';
    this.field = field;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new ManifestError(field, 'must be a non-empty string');
  }
  return value;
}

function tensor(value: unknown, field: string): TensorSpec {
  if (!isRecord(value)) throw new ManifestError(field, 'must be an object');
  const name = nonEmptyString(value.name, `${field}.name`);
  const datatype = nonEmptyString(value.datatype, `${field}.datatype`);
  const shape = value.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= -1)) {
    throw new ManifestError(
      `${field}.shape`,
      'must be an array of integers (-1 for a free dimension)',
    );
  }
  return { name, datatype, shape };
}

function tensors(value: unknown, field: string): TensorSpec[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ManifestError(field, 'must be a non-empty array');
  }
  return value.map((t, i) => tensor(t, `${field}[${i}]`));
}

/** A `[-1, n]` FP32 matrix: any number of rows of `n` values. */
function rowWidth(spec: TensorSpec, field: string): number {
  if (spec.datatype !== 'FP32') throw new ManifestError(`${field}.datatype`, 'must be FP32');
  const [rows, width] = spec.shape;
  if (spec.shape.length !== 2 || rows !== -1 || width === undefined || width < 1) {
    throw new ManifestError(`${field}.shape`, 'must be [-1, n] with n >= 1');
  }
  return width;
}

/**
 * Checks a parsed `model.json` and returns it frozen, with the derived spec.
 * @throws ManifestError naming the first bad field
 */
export function parseManifest(value: unknown): { manifest: ModelManifest; spec: ModelSpec } {
  if (!isRecord(value)) throw new ManifestError('(root)', 'must be a JSON object');
  const name = nonEmptyString(value.name, 'name');
  if (!isModelName(name)) throw new ManifestError('name', `must match ${MODEL_NAME_PATTERN}`);
  // Older exports wrote the version as a number.
  const rawVersion = typeof value.version === 'number' ? String(value.version) : value.version;
  const version = nonEmptyString(rawVersion, 'version');
  if (!isModelVersion(version)) {
    throw new ManifestError('version', `must match ${MODEL_VERSION_PATTERN}`);
  }
  const platform = nonEmptyString(value.platform, 'platform');
  const inputs = tensors(value.inputs, 'inputs');
  const outputs = tensors(value.outputs, 'outputs');
  if (!Array.isArray(value.labels) || value.labels.length === 0) {
    throw new ManifestError('labels', 'must be a non-empty array of strings');
  }
  const labels = value.labels.map((l, i) => nonEmptyString(l, `labels[${i}]`));

  // A worker feeds exactly one input; a graph with more would need values we cannot supply.
  const input = inputs[0];
  if (input === undefined || inputs.length !== 1) {
    throw new ManifestError('inputs', 'must hold exactly one tensor');
  }
  const width = rowWidth(input, 'inputs[0]');
  const outIndex = outputs.findIndex((o) => o.name === PROBABILITIES_OUTPUT);
  const output = outputs[outIndex];
  if (output === undefined) {
    throw new ManifestError('outputs', `must include "${PROBABILITIES_OUTPUT}"`);
  }
  const classes = rowWidth(output, `outputs[${outIndex}]`);
  if (classes !== labels.length) {
    throw new ManifestError(
      'labels',
      `has ${labels.length} entries but ${PROBABILITIES_OUTPUT} has ${classes}`,
    );
  }
  const sha256 = value.sha256;
  if (sha256 !== undefined && (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256))) {
    throw new ManifestError('sha256', 'must be 64 lower-case hex digits');
  }
  const features = value.features;
  if (
    features !== undefined &&
    (!Array.isArray(features) ||
      features.length !== width ||
      !features.every((f) => typeof f === 'string' && f !== ''))
  ) {
    throw new ManifestError('features', `must name each of the ${width} input columns`);
  }

  const aliases = parseAliases(value.aliases, name);
  const drift = value.drift;
  if (drift !== undefined) {
    const problem = driftProfileProblem(drift, width, classes);
    if (problem !== null) throw new ManifestError(problem.field, problem.message);
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
    platform,
    inputs: manifest.inputs,
    outputs: manifest.outputs,
    labels: manifest.labels,
    inputName: input.name,
    outputName: output.name,
    width,
    classes,
    sha256: sha256 ?? null,
    features: Object.freeze([...((features as string[] | undefined) ?? [])]),
    aliases,
    drift: drift === undefined ? null : (manifest.drift as DriftProfile),
  });
  return { manifest, spec };
}

/** A manifest's `aliases`: distinct names, each matching the model-name pattern, none its own name. */
function parseAliases(value: unknown, name: string): readonly string[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value)) throw new ManifestError('aliases', 'must be an array of names');
  const seen = new Set<string>();
  value.forEach((alias, i) => {
    if (!isModelName(alias)) {
      throw new ManifestError(`aliases[${i}]`, `must match ${MODEL_NAME_PATTERN}`);
    }
    if (alias === name) throw new ManifestError(`aliases[${i}]`, 'must differ from the name');
    if (seen.has(alias)) throw new ManifestError(`aliases[${i}]`, 'is listed twice');
    seen.add(alias);
  });
  return Object.freeze([...seen]);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
