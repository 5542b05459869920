/** What `argmaxRows` reads off a batch's output: each row's probabilities and their argmax. */
export interface RowPredictions {
  readonly predictions: number[];
  readonly probabilities: number[][];
}

/**
 * Rows `start` to `start + rows` of a `[batch, classes]` probabilities tensor, each copied out
 * with the index of its largest value (the first one on a tie). One pass, no intermediate arrays:
 * it runs once per row answered, interactive or job.
 */
export function argmaxRows(
  output: Float32Array,
  start: number,
  rows: number,
  classes: number,
): RowPredictions {
  const predictions = new Array<number>(rows);
  const probabilities = new Array<number[]>(rows);
  let at = start * classes;
  for (let r = 0; r < rows; r++) {
    const row = new Array<number>(classes);
    let best = 0;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < classes; k++) {
      const p = output[at++] as number;
      row[k] = p;
      if (p > bestValue) {
        best = k;
        bestValue = p;
      }
    }
    probabilities[r] = row;
    predictions[r] = best;
  }
  return { predictions, probabilities };
}
