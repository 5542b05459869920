import { matmulTransA, matmulTransB, softmaxRows } from './matrix.js';
import type { DenseLayer, Network } from './network.js';
import { denseForward } from './network.js';
import type { Prng } from './prng.js';

export interface MlpTrainingOptions {
  /** Hidden layer widths; [] is multinomial logistic regression. */
  readonly hidden: readonly number[];
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** L2 penalty on weights (not biases). */
  readonly weightDecay: number;
}

interface MutableLayer {
  inputs: number;
  outputs: number;
  weight: Float64Array;
  bias: Float64Array;
  relu: boolean;
}

/** Adam's two moment estimates for one parameter array. */
class AdamSlot {
  readonly m: Float64Array;
  readonly v: Float64Array;
  constructor(size: number) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  step(param: Float64Array, grad: Float64Array, lr: number, t: number): void {
    const b1 = 0.9;
    const b2 = 0.999;
    const c1 = 1 - b1 ** t;
    const c2 = 1 - b2 ** t;
    for (let i = 0; i < param.length; i++) {
      const g = grad[i] as number;
      const m = b1 * (this.m[i] as number) + (1 - b1) * g;
      const v = b2 * (this.v[i] as number) + (1 - b2) * g * g;
      this.m[i] = m;
      this.v[i] = v;
      param[i] = (param[i] as number) - (lr * (m / c1)) / (Math.sqrt(v / c2) + 1e-8);
    }
  }
}

/**
 * Trains a ReLU MLP with a softmax cross-entropy loss by mini-batch Adam. Weights start He-normal
 * (ReLU layers) or Glorot-like (the output layer); the shuffle order and the initial weights
 * both come from `rng`, so one seed fixes the result.
 */
export function trainMlp(
  x: Float64Array,
  labels: readonly number[],
  inputs: number,
  classes: number,
  options: MlpTrainingOptions,
  rng: Prng,
): Network {
  const rows = labels.length;
  const widths = [inputs, ...options.hidden, classes];
  const layers: MutableLayer[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const fanIn = widths[l] as number;
    const fanOut = widths[l + 1] as number;
    const relu = l + 2 < widths.length;
    const scale = Math.sqrt((relu ? 2 : 1) / fanIn);
    const weight = new Float64Array(fanIn * fanOut);
    for (let i = 0; i < weight.length; i++) weight[i] = rng.normal() * scale;
    layers.push({ inputs: fanIn, outputs: fanOut, weight, bias: new Float64Array(fanOut), relu });
  }
  const slots = layers.map((layer) => ({
    weight: new AdamSlot(layer.weight.length),
    bias: new AdamSlot(layer.bias.length),
  }));

  const order = Array.from({ length: rows }, (_, i) => i);
  let t = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    rng.shuffle(order);
    for (let start = 0; start < rows; start += options.batchSize) {
      const batch = order.slice(start, start + options.batchSize);
      const n = batch.length;
      const xb = new Float64Array(n * inputs);
      for (const [i, row] of batch.entries()) {
        xb.set(x.subarray(row * inputs, (row + 1) * inputs), i * inputs);
      }
      // activations[l] is the input of layer l; the last entry holds the logits.
      const activations: Float64Array[] = [xb];
      for (const layer of layers) {
        activations.push(denseForward(layer, activations.at(-1) as Float64Array, n));
      }
      // d(mean cross-entropy)/d(logits) = (softmax - onehot) / n
      const grad = softmaxRows(activations.at(-1) as Float64Array, n, classes);
      for (const [i, row] of batch.entries()) {
        const k = i * classes + (labels[row] as number);
        grad[k] = (grad[k] as number) - 1;
      }
      for (let i = 0; i < grad.length; i++) grad[i] = (grad[i] as number) / n;

      t += 1;
      let g = grad;
      for (let l = layers.length - 1; l >= 0; l--) {
        const layer = layers[l] as MutableLayer;
        const input = activations[l] as Float64Array;
        const dW = matmulTransA(input, g, n, layer.inputs, layer.outputs);
        for (let i = 0; i < dW.length; i++) {
          dW[i] = (dW[i] as number) + options.weightDecay * (layer.weight[i] as number);
        }
        const dB = new Float64Array(layer.outputs);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < layer.outputs; j++) {
            dB[j] = (dB[j] as number) + (g[i * layer.outputs + j] as number);
          }
        }
        if (l > 0) {
          // Input gradient through the previous layer's ReLU: zero where it was inactive.
          const prev = matmulTransB(g, layer.weight, n, layer.inputs, layer.outputs);
          for (let i = 0; i < prev.length; i++) if ((input[i] as number) <= 0) prev[i] = 0;
          g = prev;
        }
        const slot = slots[l] as { weight: AdamSlot; bias: AdamSlot };
        slot.weight.step(layer.weight, dW, options.learningRate, t);
        slot.bias.step(layer.bias, dB, options.learningRate, t);
      }
    }
  }
  return { layers: layers.map((layer): DenseLayer => ({ ...layer })) };
}
