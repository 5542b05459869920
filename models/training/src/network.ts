import { matmul } from './matrix.js';

/**
 * A feed-forward network as the exporter sees it: dense layers, each optionally followed by
 * ReLU, with a softmax over the last layer's outputs. Weights are row-major [inputs × outputs],
 * the layout ONNX MatMul/Gemm expect for `x · W`.
 */
export interface DenseLayer {
  readonly inputs: number;
  readonly outputs: number;
  readonly weight: Float64Array;
  /** null: no bias term (exported as MatMul rather than Gemm). */
  readonly bias: Float64Array | null;
  readonly relu: boolean;
}

export interface Network {
  readonly layers: readonly DenseLayer[];
}

export function parameterCount(network: Network): number {
  let count = 0;
  for (const layer of network.layers) count += layer.weight.length + (layer.bias?.length ?? 0);
  return count;
}

/**
 * Floating-point operations for one row: 2 per multiply-add, 1 per bias add and per ReLU, and
 * 3 per softmax output (exp, sum, divide). This is the figure the ten-times steps are sized on.
 */
export function flopsPerRow(network: Network): number {
  let flops = 0;
  for (const layer of network.layers) {
    flops += 2 * layer.inputs * layer.outputs;
    if (layer.bias) flops += layer.outputs;
    if (layer.relu) flops += layer.outputs;
  }
  const last = network.layers.at(-1);
  return flops + 3 * (last?.outputs ?? 0);
}

export function denseForward(layer: DenseLayer, x: Float64Array, rows: number): Float64Array {
  const out = matmul(x, layer.weight, rows, layer.inputs, layer.outputs);
  const { bias } = layer;
  for (let i = 0; i < rows; i++) {
    const o = i * layer.outputs;
    for (let j = 0; j < layer.outputs; j++) {
      let v = (out[o + j] as number) + (bias ? (bias[j] as number) : 0);
      if (layer.relu && v < 0) v = 0;
      out[o + j] = v;
    }
  }
  return out;
}
