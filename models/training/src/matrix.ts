/**
 * Dense row-major float64 kernels, just enough for training. Loops run i-k-j so the innermost
 * loop walks both operands contiguously; that ordering is the whole optimisation.
 */

/** C[m×n] = A[m×k] · B[k×n] */
export function matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number) {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p] as number;
      // ReLU activations are often exactly zero; skipping them is free and exact.
      if (av === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] = (c[ci + j] as number) + av * (b[bp + j] as number);
    }
  }
  return c;
}

/** C[k×n] = Aᵀ · G, with A[m×k] and G[m×n] (the weight gradient of a dense layer). */
export function matmulTransA(a: Float64Array, g: Float64Array, m: number, k: number, n: number) {
  const c = new Float64Array(k * n);
  for (let i = 0; i < m; i++) {
    const gi = i * n;
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p] as number;
      if (av === 0) continue;
      const cp = p * n;
      for (let j = 0; j < n; j++) c[cp + j] = (c[cp + j] as number) + av * (g[gi + j] as number);
    }
  }
  return c;
}

/** C[m×k] = G[m×n] · Wᵀ, with W[k×n] (the input gradient of a dense layer). */
export function matmulTransB(g: Float64Array, w: Float64Array, m: number, k: number, n: number) {
  const c = new Float64Array(m * k);
  for (let i = 0; i < m; i++) {
    const gi = i * n;
    for (let p = 0; p < k; p++) {
      const wp = p * n;
      let sum = 0;
      for (let j = 0; j < n; j++) sum += (g[gi + j] as number) * (w[wp + j] as number);
      c[i * k + p] = sum;
    }
  }
  return c;
}

/** Row-wise softmax in place, shifted by the row maximum so exp never overflows. */
export function softmaxRows(x: Float64Array, m: number, n: number): Float64Array {
  for (let i = 0; i < m; i++) {
    const o = i * n;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < n; j++) max = Math.max(max, x[o + j] as number);
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const e = Math.exp((x[o + j] as number) - max);
      x[o + j] = e;
      sum += e;
    }
    for (let j = 0; j < n; j++) x[o + j] = (x[o + j] as number) / sum;
  }
  return x;
}

/** Index of the largest value; the first one wins a tie, as the worker's argmax does. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let j = 1; j < values.length; j++) {
    if ((values[j] as number) > (values[best] as number)) best = j;
  }
  return best;
}

/** Splits a row-major matrix into row arrays (views, no copy). */
export function toRows(x: Float64Array, width: number): Float64Array[] {
  const rows: Float64Array[] = [];
  for (let o = 0; o < x.length; o += width) rows.push(x.subarray(o, o + width));
  return rows;
}
