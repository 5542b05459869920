import type { DenseLayer, Network } from './network.js';

export interface Standardizer {
  readonly mean: readonly number[];
  /** Population standard deviation per feature. */
  readonly std: readonly number[];
}

export function fitStandardizer(rows: readonly ArrayLike<number>[]): Standardizer {
  const width = rows[0]?.length ?? 0;
  const mean = new Array<number>(width).fill(0);
  const std = new Array<number>(width).fill(0);
  for (const row of rows) {
    for (let j = 0; j < width; j++)
      mean[j] = (mean[j] as number) + (row[j] as number) / rows.length;
  }
  for (const row of rows) {
    for (let j = 0; j < width; j++) {
      std[j] = (std[j] as number) + ((row[j] as number) - (mean[j] as number)) ** 2;
    }
  }
  for (let j = 0; j < width; j++) {
    // A constant feature would divide by zero; leaving it unscaled is harmless.
    std[j] = Math.sqrt((std[j] as number) / rows.length) || 1;
  }
  return { mean, std };
}

/** Row-major float64 matrix of standardised rows. */
export function standardize(rows: readonly ArrayLike<number>[], s: Standardizer): Float64Array {
  const width = s.mean.length;
  const out = new Float64Array(rows.length * width);
  for (const [i, row] of rows.entries()) {
    for (let j = 0; j < width; j++) {
      out[i * width + j] = ((row[j] as number) - (s.mean[j] as number)) / (s.std[j] as number);
    }
  }
  return out;
}

/**
 * Rewrites the first layer so the network takes raw centimetres: with z = (x - mean) / std,
 * z·W + b = x·(W / std) + (b - (mean / std)·W). The graph then needs no scaling nodes and the
 * worker sends rows exactly as callers gave them.
 */
export function foldStandardizer(network: Network, s: Standardizer): Network {
  const [first, ...rest] = network.layers;
  if (!first) return network;
  const weight = new Float64Array(first.weight.length);
  const bias = new Float64Array(first.outputs);
  if (first.bias) bias.set(first.bias);
  for (let i = 0; i < first.inputs; i++) {
    const scale = 1 / (s.std[i] as number);
    const shift = (s.mean[i] as number) * scale;
    for (let j = 0; j < first.outputs; j++) {
      const w = first.weight[i * first.outputs + j] as number;
      weight[i * first.outputs + j] = w * scale;
      bias[j] = (bias[j] as number) - shift * w;
    }
  }
  const folded: DenseLayer = { ...first, weight, bias };
  return { layers: [folded, ...rest] };
}
