import type { Prng } from './prng.js';

export interface Split {
  /** Row indices, ascending. */
  readonly train: readonly number[];
  readonly test: readonly number[];
}

/**
 * Holds out `testFraction` of every class (rounded), so both halves keep the 1:1:1 class balance
 * of iris. Indices come back sorted so the split, not the shuffle order, is what later steps see.
 */
export function stratifiedSplit(labels: readonly number[], testFraction: number, rng: Prng): Split {
  const byClass = new Map<number, number[]>();
  for (const [i, label] of labels.entries()) {
    const rows = byClass.get(label) ?? [];
    rows.push(i);
    byClass.set(label, rows);
  }
  const train: number[] = [];
  const test: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = rng.shuffle(byClass.get(label) ?? []);
    const held = Math.round(rows.length * testFraction);
    test.push(...rows.slice(0, held));
    train.push(...rows.slice(held));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}
