import { toRows } from './matrix.js';
import { trainMlp } from './mlp.js';
import type { Network } from './network.js';
import { denseForward } from './network.js';
import type { Prng } from './prng.js';
import { randomReluLayers } from './random-features.js';
import { fitStandardizer, foldStandardizer, standardize } from './standardizer.js';

export const MODEL_NAMES = ['fast', 'intermediate', 'slow'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** Standardised training rows, row-major. */
export interface TrainingSet {
  readonly x: Float64Array;
  readonly labels: readonly number[];
  readonly inputs: number;
  readonly classes: number;
}

export interface ModelSpec {
  readonly name: ModelName;
  readonly description: string;
  /**
   * The names the original ml-models-api served this model under, so its clients and locustfile
   * work unchanged (the manifest's `aliases`).
   */
  readonly aliases: readonly string[];
  /** Written to the manifest as-is: how the model was fitted. */
  readonly training: Readonly<Record<string, unknown>>;
  train(data: TrainingSet, rng: Prng): Network;
}

/*
 * Sizes. Each step is about ten times the work per row of the one before: 44 k, 531 k and
 * 4.2 M floating-point operations (network.ts flopsPerRow).
 * - fast is a small MLP rather than logistic regression: a 4x3 regression is ~30 FLOPs a row,
 *   so its cost would be ONNX Runtime's per-run overhead alone and sit far more than ten times
 *   below intermediate in FLOPs, and not reliably below it in time.
 * - slow's weights (8 MiB in FP32) do not fit in a core's L2 cache: a one-row run streams them
 *   from memory (GEMV) while a batched run reuses them across rows (GEMM), so it is the model
 *   dynamic batching helps most. Back-propagating through 2 M weights in plain TypeScript would
 *   take minutes, so its hidden layers are random features and only its readout is trained.
 */
const FAST = {
  hidden: [144, 144],
  epochs: 40,
  batchSize: 16,
  learningRate: 0.005,
  weightDecay: 0.03,
};
const INTERMEDIATE = {
  hidden: [512, 512],
  epochs: 30,
  batchSize: 16,
  learningRate: 0.01,
  weightDecay: 0.03,
};
const SLOW_FEATURES = [1024, 1024, 1024];
const SLOW_READOUT = {
  hidden: [],
  epochs: 200,
  batchSize: 105,
  learningRate: 0.01,
  weightDecay: 1e-3,
};

export const MODEL_SPECS: readonly ModelSpec[] = [
  {
    name: 'fast',
    aliases: ['fast-iris-model'],
    description: `ReLU MLP ${archName(FAST.hidden)}, trained by mini-batch Adam`,
    training: { method: 'mlp-adam', ...FAST },
    train: (data, rng) => trainMlp(data.x, data.labels, data.inputs, data.classes, FAST, rng),
  },
  {
    name: 'intermediate',
    aliases: ['intermediate-iris-model'],
    description: `ReLU MLP ${archName(INTERMEDIATE.hidden)}, trained by mini-batch Adam`,
    training: { method: 'mlp-adam', ...INTERMEDIATE },
    train: (data, rng) =>
      trainMlp(data.x, data.labels, data.inputs, data.classes, INTERMEDIATE, rng),
  },
  {
    name: 'slow',
    aliases: ['slow-iris-model'],
    description:
      `deep random-feature network ${archName(SLOW_FEATURES)}: untrained He-normal ReLU layers ` +
      '(an arc-cosine kernel map) under a softmax readout trained by full-batch Adam',
    training: {
      method: 'random-features+softmax-readout',
      features: SLOW_FEATURES,
      featureStandardization: 'fitted on the training rows, folded into the readout',
      readout: SLOW_READOUT,
    },
    train: (data, rng) => {
      const features = randomReluLayers(data.inputs, SLOW_FEATURES, rng);
      const rows = data.labels.length;
      let h = data.x;
      for (const layer of features) h = denseForward(layer, h, rows);
      const width = SLOW_FEATURES.at(-1) ?? data.inputs;
      // Deep ReLU features share a large positive offset; standardising them makes the readout a
      // well-conditioned logistic regression. The scaling is folded into the readout's weights.
      const scaling = fitStandardizer(toRows(h, width));
      const z = standardize(toRows(h, width), scaling);
      const readout = trainMlp(z, data.labels, width, data.classes, SLOW_READOUT, rng);
      return { layers: [...features, ...foldStandardizer(readout, scaling).layers] };
    },
  },
];

function archName(hidden: readonly number[]): string {
  return ['4', ...hidden.map(String), '3'].join('-');
}
