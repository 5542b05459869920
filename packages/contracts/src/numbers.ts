/**
 * Every model takes float32 input (the workers fill a Float32Array). A finite double beyond
 * float32's range, such as 1e39, would silently become Infinity there and the graph would answer
 * nonsense (NaN probabilities, or all zeros and the first label), so every route family and the
 * worker reject it as bad input before it is run or cached.
 */
export function isFloat32Finite(value: unknown): value is number {
  // fround rounds to the nearest float32 exactly as a Float32Array store does, so a value just
  // above FLT_MAX that still rounds down to it is accepted, as the model would receive it.
  return typeof value === 'number' && Number.isFinite(Math.fround(value));
}
