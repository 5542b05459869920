import type { Test } from 'tap';
import { oracle } from './stack.js';

export interface ResultLine {
  row: number;
  prediction: number;
  probabilities: number[];
}

export async function resultLines(base: string, id: string): Promise<ResultLine[]> {
  const res = await fetch(`${base}/v1/jobs/${id}/result`, {
    headers: { accept: 'application/x-ndjson' },
  });
  const text = await res.text();
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ResultLine);
}

/** Every row exactly once, in order, each with the model's own answer for it. */
export async function checkEveryRowOnce(
  t: Test,
  model: 'intermediate' | 'slow',
  lines: ResultLine[],
  rows: number[][],
) {
  t.equal(lines.length, rows.length, 'one line per row');
  t.same(
    lines.map((l) => l.row),
    rows.map((_, i) => i),
    'each row exactly once, in input order',
  );
  const session = await oracle(model);
  try {
    const expected = await session.run(rows);
    t.same(
      lines.map((l) => l.prediction),
      expected.predictions,
      'every prediction is the model’s own',
    );
  } finally {
    await session.release();
  }
}
