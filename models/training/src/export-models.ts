import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildDriftProfile, type DriftProfile } from '@mlapi/contracts';
import { TrainingError } from './errors.js';
import type { ExportOptions, NormalizedExportOptions } from './export-options.js';
import { normalizeOptions } from './export-options.js';
import { createSession, predict } from './inference.js';
import { FEATURES, LABELS, loadIris } from './iris.js';
import type { Manifest } from './manifest.js';
import { buildManifest } from './manifest.js';
import type { ModelSpec } from './models.js';
import { MODEL_SPECS } from './models.js';
import { flopsPerRow, parameterCount } from './network.js';
import { encodeModel } from './onnx-export.js';
import { Prng } from './prng.js';
import { stratifiedSplit } from './split.js';
import { fitStandardizer, foldStandardizer, standardize } from './standardizer.js';
import { writeAtomically } from './write-atomically.js';

export interface ExportedModel {
  readonly manifest: Manifest;
  readonly files: readonly string[];
}

export interface ReferenceEntry {
  readonly version: string;
  readonly inputs: number[][];
  readonly predictions: number[];
  readonly probabilities: number[][];
}

export interface ExportResult {
  readonly models: readonly ExportedModel[];
  readonly referencePath: string;
}

/**
 * Inputs outside the data set that a worker must still answer the same way: the origin, the
 * per-feature extremes of iris, a point between the classes, and values far outside any flower.
 */
const EDGE_CASES: readonly (readonly number[])[] = [
  [0, 0, 0, 0],
  [4.3, 2.0, 1.0, 0.1],
  [7.9, 4.4, 6.9, 2.5],
  [5.84, 3.06, 3.76, 1.2],
  [6.2, 2.8, 4.85, 1.65],
  [100, 100, 100, 100],
  [-5, 10, -3, 0.5],
];

/**
 * Trains every requested model, writes its graph and manifest, then the shared reference file.
 * Deterministic: the same options give byte-identical files (no clocks, no host data, one seed).
 */
export async function exportModels(options?: ExportOptions): Promise<ExportResult> {
  const opts = normalizeOptions(options);
  const log = opts.logger;
  const data = await loadIris(opts.dataPath);
  const split = stratifiedSplit(data.labels, opts.testFraction, new Prng(opts.seed));
  const trainRows = split.train.map((i) => data.features[i] as readonly number[]);
  const testRows = split.test.map((i) => data.features[i] as readonly number[]);
  const testLabels = split.test.map((i) => data.labels[i] as number);
  const standardizer = fitStandardizer(trainRows);
  const trainingSet = {
    x: standardize(trainRows, standardizer),
    labels: split.train.map((i) => data.labels[i] as number),
    inputs: FEATURES.length,
    classes: LABELS.length,
  };
  log.info(
    { rows: data.labels.length, train: split.train.length, test: split.test.length },
    'loaded iris; stratified split',
  );

  const referenceInputs = [...testRows, ...EDGE_CASES].map((row) => [...row]);
  const reference: Record<string, ReferenceEntry> = {};
  const exported: ExportedModel[] = [];
  for (const spec of MODEL_SPECS.filter((s) => opts.models.includes(s.name))) {
    const result = await exportOne(spec, opts, trainingSet, standardizer, {
      testRows,
      testLabels,
      referenceInputs,
      split,
      drift: buildDriftProfile(trainRows, trainingSet.labels, FEATURES, LABELS.length),
    });
    exported.push(result.model);
    reference[spec.name] = result.reference;
  }

  const referencePath = join(opts.outDir, 'reference.json');
  // Exporting some models keeps the others' reference entries (a new version of one model).
  const kept = await readReference(referencePath);
  const merged = Object.fromEntries(
    Object.entries({ ...kept, ...reference }).sort(
      ([a], [b]) => MODEL_ORDER.indexOf(a) - MODEL_ORDER.indexOf(b),
    ),
  );
  await writeAtomically(referencePath, `${JSON.stringify(merged, null, 2)}\n`);
  log.info({ file: referencePath, inputs: referenceInputs.length }, 'wrote reference outputs');
  return { models: exported, referencePath };
}

async function exportOne(
  spec: ModelSpec,
  opts: NormalizedExportOptions,
  trainingSet: Parameters<ModelSpec['train']>[0],
  standardizer: ReturnType<typeof fitStandardizer>,
  held: {
    testRows: readonly (readonly number[])[];
    testLabels: readonly number[];
    referenceInputs: number[][];
    split: { train: readonly number[]; test: readonly number[] };
    drift: DriftProfile;
  },
): Promise<{ model: ExportedModel; reference: ReferenceEntry }> {
  const log = opts.logger;
  log.info({ model: spec.name, description: spec.description }, 'training');
  const started = performance.now();
  // Each model draws from its own stream, so changing one model's recipe leaves the others' bytes alone.
  const network = foldStandardizer(
    spec.train(trainingSet, new Prng(streamSeed(opts.seed, spec.name))),
    standardizer,
  );
  const bytes = encodeModel(network, {
    name: spec.name,
    docString: `mlapi ${spec.name}: ${spec.description}. Input: raw iris measurements in cm.`,
    labels: LABELS,
  });

  const session = await createSession(bytes);
  try {
    const heldOut = await predict(session, held.testRows, LABELS.length);
    const correct = heldOut.predictions.filter((p, i) => p === held.testLabels[i]).length;
    const accuracy = correct / held.testRows.length;
    log.info(
      {
        model: spec.name,
        accuracy,
        correct,
        of: held.testRows.length,
        seconds: ((performance.now() - started) / 1000).toFixed(1),
      },
      'trained; held-out accuracy',
    );
    if (accuracy < opts.minAccuracy) {
      throw new TrainingError(
        'LOW_ACCURACY',
        `${spec.name} reached ${accuracy.toFixed(4)} < ${opts.minAccuracy} on held-out rows`,
      );
    }
    const ref = await predict(session, held.referenceInputs, LABELS.length);

    const manifest = buildManifest({
      name: spec.name,
      version: opts.version,
      labels: LABELS,
      aliases: spec.aliases,
      accuracy: Math.round(accuracy * 1e4) / 1e4,
      description: spec.description,
      parameters: parameterCount(network),
      flopsPerRow: flopsPerRow(network),
      sha256: createHash('sha256').update(bytes).digest('hex'),
      training: {
        dataset: 'iris (models/training/data/iris.csv)',
        seed: opts.seed,
        split: {
          stratified: true,
          testFraction: opts.testFraction,
          train: held.split.train.length,
          test: held.split.test.length,
        },
        standardization: 'fitted on the training rows, folded into the first layer',
        heldOutCorrect: correct,
        ...spec.training,
      },
      drift: held.drift,
    });
    const dir = join(opts.outDir, spec.name);
    const onnxPath = join(dir, 'model.onnx');
    const jsonPath = join(dir, 'model.json');
    await writeAtomically(onnxPath, bytes);
    await writeAtomically(jsonPath, `${JSON.stringify(manifest, null, 2)}\n`);
    log.info(
      {
        model: spec.name,
        parameters: manifest.parameters,
        flopsPerRow: manifest.flopsPerRow,
        bytes: bytes.length,
        files: [onnxPath, jsonPath],
      },
      'wrote model',
    );
    return {
      model: { manifest, files: [onnxPath, jsonPath] },
      reference: { version: manifest.version, inputs: held.referenceInputs, ...ref },
    };
  } finally {
    await session.release();
  }
}

const MODEL_ORDER: readonly string[] = MODEL_SPECS.map((s) => s.name);

/** The reference file already in the output folder, or {} when there is none to keep. */
async function readReference(path: string): Promise<Record<string, ReferenceEntry>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return {};
  }
  try {
    const value = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
  } catch {
    throw new TrainingError('BAD_REFERENCE', `${path} is not JSON; move it away and export again`);
  }
}

/** FNV-1a of the name, mixed into the seed. */
function streamSeed(seed: number, name: string): number {
  let h = 0x811c9dc5;
  for (const ch of name) h = Math.imul(h ^ (ch.codePointAt(0) as number), 0x01000193);
  return (h ^ seed) >>> 0;
}
