import { createHash } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { ManifestError, type ModelManifest, type ModelSpec, parseManifest } from '@mlapi/contracts';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { WorkerError } from './errors.js';

export interface LoadModelOptions {
  /** onnxruntime intra-op threads; 0 lets onnxruntime choose. Default 1. */
  intraOpNumThreads?: number;
}

/**
 * One loaded model: the manifest and the onnxruntime session built from `model.onnx`.
 * Obtain it with `loadModel()`, which loads each model directory once per process.
 */
export class OnnxModel {
  readonly dir: string;
  readonly manifest: ModelManifest;
  readonly spec: ModelSpec;
  readonly #session: InferenceSession;
  readonly #fetches: readonly string[];
  #runs = 0;

  /** @internal use `loadModel()`. */
  constructor(dir: string, manifest: ModelManifest, spec: ModelSpec, session: InferenceSession) {
    this.dir = dir;
    this.manifest = manifest;
    this.spec = spec;
    this.#session = session;
    // Fetching only the output we read keeps onnxruntime from copying the others (labels, ...).
    this.#fetches = [spec.outputName];
  }

  /** How many times `run()` has called onnxruntime; tests use it to prove work was skipped. */
  get runs(): number {
    return this.#runs;
  }

  /**
   * Runs `rows` input rows (row-major, `rows * spec.width` values) through the graph in one
   * `session.run` and returns `rows * spec.classes` probabilities, row-major.
   */
  async run(input: Float32Array, rows: number): Promise<Float32Array> {
    const { width, classes, inputName, outputName } = this.spec;
    if (input.length !== rows * width) {
      throw new RangeError(`input holds ${input.length} values, expected ${rows} x ${width}`);
    }
    this.#runs++;
    const feeds = { [inputName]: new Tensor('float32', input, [rows, width]) };
    const out = (await this.#session.run(feeds, this.#fetches))[outputName];
    if (out === undefined || !(out.data instanceof Float32Array)) {
      throw new Error(`the graph returned no float32 "${outputName}" output`);
    }
    if (out.data.length !== rows * classes) {
      throw new Error(
        `"${outputName}" holds ${out.data.length} values, expected ${rows * classes}`,
      );
    }
    return out.data;
  }

  /** Frees the native session; the next `loadModel()` of this directory loads it again. */
  async release(): Promise<void> {
    loaded.delete(this.dir);
    await this.#session.release();
  }
}

// Keyed by the directory's real path, so './models/fast' and an absolute path share one session.
const loaded = new Map<string, Promise<OnnxModel>>();

/**
 * Loads `<dir>/model.json` and `<dir>/model.onnx` once per process: later calls for the same
 * directory return the same model (and its single InferenceSession), even while the first load is
 * still running. A failed load is forgotten so that it can be retried.
 */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<OnnxModel> {
  const intraOpNumThreads = options.intraOpNumThreads ?? 1;
  if (!Number.isInteger(intraOpNumThreads) || intraOpNumThreads < 0) {
    throw new TypeError('intraOpNumThreads must be an integer >= 0');
  }
  let key: string;
  try {
    key = await realpath(dir);
  } catch (cause) {
    throw new WorkerError('WORKER_MANIFEST', `model directory ${dir} cannot be read`, {
      subject: 'MODEL_DIR',
      cause,
    });
  }
  let pending = loaded.get(key);
  if (pending === undefined) {
    pending = load(key, intraOpNumThreads);
    loaded.set(key, pending);
    pending.catch(() => loaded.delete(key));
  }
  return pending;
}

async function load(dir: string, intraOpNumThreads: number): Promise<OnnxModel> {
  const manifestPath = join(dir, 'model.json');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (cause) {
    throw new WorkerError('WORKER_MANIFEST', `${manifestPath} cannot be read as JSON`, {
      subject: 'model.json',
      cause,
    });
  }
  let parsed: { manifest: ModelManifest; spec: ModelSpec };
  try {
    parsed = parseManifest(json);
  } catch (cause) {
    if (!(cause instanceof ManifestError)) throw cause;
    throw new WorkerError('WORKER_MANIFEST', cause.message, { subject: cause.field, cause });
  }
  const onnxPath = join(dir, 'model.onnx');
  let bytes: Buffer;
  try {
    bytes = await readFile(onnxPath);
  } catch (cause) {
    throw new WorkerError('WORKER_MODEL_LOAD', `${onnxPath} cannot be read`, { cause });
  }
  // The graph's content hash keys the gateway's cache, so it must describe the bytes we serve:
  // a manifest that names another graph is refused, and one that names none gets this one's.
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (parsed.spec.sha256 !== null && parsed.spec.sha256 !== sha256) {
    throw new WorkerError(
      'WORKER_MANIFEST',
      `model.json's sha256 (${parsed.spec.sha256}) is not that of ${onnxPath} (${sha256})`,
      { subject: 'sha256' },
    );
  }
  const manifest: ModelManifest =
    parsed.spec.sha256 === null ? Object.freeze({ ...parsed.manifest, sha256 }) : parsed.manifest;
  const spec: ModelSpec =
    parsed.spec.sha256 === null ? Object.freeze({ ...parsed.spec, sha256 }) : parsed.spec;

  let session: InferenceSession;
  try {
    session = await InferenceSession.create(bytes, {
      intraOpNumThreads,
      // Parallelism comes from batching and from running more worker processes, not from
      // onnxruntime's inter-op pool, which would fight them for the same cores.
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (cause) {
    throw new WorkerError('WORKER_MODEL_LOAD', `onnxruntime cannot load ${onnxPath}`, { cause });
  }
  const missing = [
    session.inputNames.includes(spec.inputName) ? null : `input "${spec.inputName}"`,
    session.outputNames.includes(spec.outputName) ? null : `output "${spec.outputName}"`,
  ].filter((m) => m !== null);
  if (missing.length > 0) {
    await session.release();
    throw new WorkerError(
      'WORKER_MODEL_LOAD',
      `${onnxPath} has no ${missing.join(' or ')} as model.json declares`,
    );
  }
  return new OnnxModel(dir, manifest, spec, session);
}
