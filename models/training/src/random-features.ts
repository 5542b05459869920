import type { DenseLayer } from './network.js';
import type { Prng } from './prng.js';

/**
 * Untrained ReLU layers with He-normal weights: a random-feature map whose inner products
 * approximate the arc-cosine kernel of the same depth (Cho & Saul, 2009). Only a readout on top
 * is trained, which is what makes a network this wide cheap to fit in plain TypeScript.
 * The first layer carries a zero bias so the input standardisation can be folded into it; the
 * others have none, as the kernel construction has none.
 */
export function randomReluLayers(
  inputs: number,
  widths: readonly number[],
  rng: Prng,
): DenseLayer[] {
  const layers: DenseLayer[] = [];
  let fanIn = inputs;
  for (const [l, width] of widths.entries()) {
    const scale = Math.sqrt(2 / fanIn);
    const weight = new Float64Array(fanIn * width);
    for (let i = 0; i < weight.length; i++) weight[i] = rng.normal() * scale;
    layers.push({
      inputs: fanIn,
      outputs: width,
      weight,
      bias: l === 0 ? new Float64Array(width) : null,
      relu: true,
    });
    fanIn = width;
  }
  return layers;
}
