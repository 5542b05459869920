import { isFloat32Finite } from '@mlapi/contracts';
import { RemoteError } from '@mlapi/rpc';

/** The `predict` request body: one row of `width` numbers per instance. */
export interface PredictRequest {
  inputs: number[][];
}

function badInput(message: string): RemoteError {
  return new RemoteError('BAD_INPUT', message);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `string ${JSON.stringify(value.slice(0, 32))}`;
  if (typeof value === 'number') return String(value);
  return typeof value;
}

/**
 * How many rows `request.inputs` claims, capped at `maxRows`, without checking them: the batch
 * sizes its one input buffer from this before `readRows()` fills it.
 */
export function claimedRows(request: unknown, maxRows: number): number {
  if (typeof request !== 'object' || request === null) return 0;
  const inputs = (request as { inputs?: unknown }).inputs;
  return Array.isArray(inputs) ? Math.min(inputs.length, maxRows) : 0;
}

/**
 * Checks `request` (`{inputs: number[][]}`: 1..maxRows rows of exactly `width` finite numbers)
 * and, in the same pass, writes its values row-major into `target` from index `offset`.
 * Returns the row count. Throws `BAD_INPUT` saying what is wrong with the first bad value; the
 * values written before that are garbage the caller overwrites.
 *
 * One pass with no intermediate arrays: this runs for every value of every request.
 */
export function readRows(
  request: unknown,
  target: Float32Array,
  offset: number,
  width: number,
  maxRows: number,
): number {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw badInput(`the body must be a JSON object with "inputs", got ${describe(request)}`);
  }
  const inputs = (request as { inputs?: unknown }).inputs;
  if (!Array.isArray(inputs)) {
    throw badInput(`inputs must be an array of rows of ${width} numbers, got ${describe(inputs)}`);
  }
  const rows = inputs.length;
  if (rows === 0) throw badInput('inputs is empty: send at least one row');
  if (rows > maxRows) throw badInput(`inputs has ${rows} rows, at most ${maxRows} are allowed`);
  let at = offset;
  for (let r = 0; r < rows; r++) {
    const row: unknown = inputs[r];
    if (!Array.isArray(row)) {
      throw badInput(`inputs[${r}] must be an array of ${width} numbers, got ${describe(row)}`);
    }
    if (row.length !== width) {
      throw badInput(`inputs[${r}] has ${row.length} values, expected ${width}`);
    }
    for (let c = 0; c < width; c++) {
      const value: unknown = row[c];
      // JSON cannot carry NaN or Infinity, so they arrive as strings or nulls: both are caught
      // here, and the check covers callers that bypass JSON. A finite double beyond float32's
      // range would become Infinity in `target`: rejected too.
      if (!isFloat32Finite(value)) {
        throw badInput(
          `inputs[${r}][${c}] must be a finite number within the float32 range, got ${describe(value)}`,
        );
      }
      target[at++] = value;
    }
  }
  return rows;
}
