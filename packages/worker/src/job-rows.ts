import type { JobChunk, JobChunkResult, ModelSpec } from '@mlapi/contracts';
import { argmaxRows } from './argmax-rows.js';

/** Several chunks' valid rows in one buffer; a chunk with a bad row carries its error instead. */
export interface PackedChunks {
  readonly chunks: readonly JobChunk[];
  readonly input: Float32Array;
  readonly rows: number;
  /** Row offset of each chunk in `input`, or -1 for a chunk that failed validation. */
  readonly starts: readonly number[];
  readonly errors: readonly (string | null)[];
}

/**
 * Checks every row of every chunk (exactly `width` finite numbers) and packs the valid chunks
 * row-major. A bad row fails its chunk, and the message names the row by its index in the job.
 */
export function packChunk(chunks: readonly JobChunk[], width: number): PackedChunks {
  let capacity = 0;
  for (const c of chunks) capacity += Array.isArray(c.inputs) ? c.inputs.length : 0;
  const input = new Float32Array(capacity * width);
  const starts: number[] = [];
  const errors: (string | null)[] = [];
  let rows = 0;
  for (const chunk of chunks) {
    const error = checkChunk(chunk, width);
    errors.push(error);
    if (error !== null) {
      starts.push(-1);
      continue;
    }
    starts.push(rows);
    let at = rows * width;
    for (const row of chunk.inputs) for (const value of row) input[at++] = value;
    rows += chunk.inputs.length;
  }
  return { chunks, input, rows, starts, errors };
}

function checkChunk(chunk: JobChunk, width: number): string | null {
  if (!Array.isArray(chunk.inputs)) return `chunk ${chunk.chunk}: no rows`;
  for (const [r, row] of chunk.inputs.entries()) {
    const index = chunk.first_row + r;
    if (!Array.isArray(row)) return `row ${index}: expected an array of ${width} numbers`;
    if (row.length !== width) return `row ${index}: has ${row.length} values, expected ${width}`;
    for (const value of row) {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        return `row ${index}: every value must be a finite number`;
      }
    }
  }
  return null;
}

/** Each chunk's outcome from the batch output; argmax keeps the first maximum, as for /predict. */
export function chunkResults(
  packed: PackedChunks,
  output: Float32Array,
  spec: ModelSpec,
): JobChunkResult[] {
  const { classes, version } = spec;
  return packed.chunks.map((chunk, i): JobChunkResult => {
    const error = packed.errors[i];
    const start = packed.starts[i] as number;
    if (error !== null && error !== undefined) {
      return {
        job_id: chunk.job_id,
        chunk: chunk.chunk,
        ok: false,
        error: { code: 'BAD_INPUT', message: error },
      };
    }
    const { predictions, probabilities } = argmaxRows(output, start, chunk.inputs.length, classes);
    return {
      job_id: chunk.job_id,
      chunk: chunk.chunk,
      ok: true,
      model_version: version,
      predictions,
      probabilities,
    };
  });
}
