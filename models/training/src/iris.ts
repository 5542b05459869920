import { readFile } from 'node:fs/promises';
import { TrainingError } from './errors.js';

export const LABELS = ['setosa', 'versicolor', 'virginica'] as const;
export const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] as const;

export interface Dataset {
  /** One row of four measurements (cm) per flower. */
  readonly features: readonly (readonly number[])[];
  /** Index into LABELS, one per row. */
  readonly labels: readonly number[];
}

/** Parses the shipped CSV (header + one flower per line) and rejects anything else. */
export function parseIrisCsv(text: string): Dataset {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = lines.shift();
  if (header !== [...FEATURES, 'species'].join(',')) {
    throw new TrainingError('BAD_DATA', `unexpected header: ${JSON.stringify(header)}`);
  }
  const features: number[][] = [];
  const labels: number[] = [];
  for (const [i, line] of lines.entries()) {
    const cells = line.split(',');
    const label = LABELS.indexOf(cells[4] as (typeof LABELS)[number]);
    const row = cells.slice(0, 4).map(Number);
    if (cells.length !== 5 || label < 0 || row.some((v) => !Number.isFinite(v) || v <= 0)) {
      throw new TrainingError('BAD_DATA', `line ${i + 2} is not a valid row: ${line}`);
    }
    features.push(row);
    labels.push(label);
  }
  return { features, labels };
}

export async function loadIris(path: string): Promise<Dataset> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new TrainingError('BAD_DATA', `cannot read ${path}`, { cause });
  }
  return parseIrisCsv(text);
}
