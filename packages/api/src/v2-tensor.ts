import { isFloat32Finite, type ModelSpec, type PredictResult } from '@mlapi/contracts';
import { ApiError } from './errors.js';

/** An Open Inference Protocol V2 request tensor, after schema validation. */
export interface V2InputTensor {
  name: string;
  shape: number[];
  datatype: 'FP32' | 'FP64';
  data: unknown[];
}

export interface V2OutputTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: readonly (number | string)[];
}

/** The tensors a V2 reply can carry, by name. */
export const V2_OUTPUTS = ['predictions', 'probabilities', 'label'] as const;

/**
 * Flattens `data` (flat, or nested as deep as `shape`) into rows of the model's width. Depth is
 * bounded by the shape's rank, so arbitrarily deep input costs one step, not a stack.
 */
export function tensorToRows(input: V2InputTensor, manifest: ModelSpec): number[][] {
  const { shape } = input;
  const width = manifest.width;
  const rank = shape.length;
  const rows = rank === 1 ? 1 : (shape[0] as number);
  if ((shape.at(-1) as number) !== width) {
    throw new ApiError('BAD_INPUT', `input "${input.name}" must have ${width} columns`);
  }
  const flat: number[] = [];
  flatten(input.data, rank, flat);
  if (flat.length !== rows * width) {
    throw new ApiError(
      'BAD_INPUT',
      `shape [${shape.join(',')}] does not match ${flat.length} values`,
    );
  }
  const out: number[][] = new Array(rows);
  for (let r = 0; r < rows; r++) out[r] = flat.slice(r * width, (r + 1) * width);
  return out;
}

function flatten(data: readonly unknown[], depth: number, out: number[]): void {
  for (const item of data) {
    if (typeof item === 'number') {
      // FP64 too: the model computes in float32, so a value beyond its range is not a valid input.
      if (!isFloat32Finite(item)) {
        throw new ApiError(
          'BAD_INPUT',
          'tensor data must be finite numbers within the float32 range',
        );
      }
      out.push(item);
    } else if (Array.isArray(item) && depth > 1) {
      flatten(item, depth - 1, out);
    } else {
      throw new ApiError(
        'BAD_INPUT',
        'tensor data must be numbers nested no deeper than its shape',
      );
    }
  }
}

/** Rejects unknown output names before any work is done for them. */
export function checkOutputNames(names: readonly string[] | undefined): void {
  if (names === undefined) return;
  for (const name of names) {
    if (!(V2_OUTPUTS as readonly string[]).includes(name)) {
      throw new ApiError('BAD_INPUT', `no output named "${name}"; have ${V2_OUTPUTS.join(', ')}`);
    }
  }
}

/** The reply tensors, optionally only those the caller asked for (names already checked). */
export function resultToTensors(
  result: PredictResult,
  wanted: readonly string[] | undefined,
): V2OutputTensor[] {
  const n = result.predictions.length;
  const all: Record<(typeof V2_OUTPUTS)[number], () => V2OutputTensor> = {
    predictions: () => ({
      name: 'predictions',
      datatype: 'INT64',
      shape: [n],
      data: result.predictions,
    }),
    probabilities: () => {
      const cols = result.probabilities[0]?.length ?? 0;
      return {
        name: 'probabilities',
        datatype: 'FP32',
        shape: [n, cols],
        data: result.probabilities.flat(),
      };
    },
    label: () => ({ name: 'label', datatype: 'BYTES', shape: [n], data: result.labels }),
  };
  const names = wanted ?? V2_OUTPUTS;
  return names.map((name) => all[name as (typeof V2_OUTPUTS)[number]]());
}
