import { MODEL_NAME_PATTERN, MODEL_VERSION_PATTERN, WIRE_ERROR_CODES } from '@mlapi/contracts';
import { EXAMPLE_MODEL, EXAMPLE_VERSION } from './docs/examples.js';

/** Shared JSON schemas: they validate requests (Ajv) and serialize replies (fast-json-stringify). */

export const errorBody = {
  $id: 'ErrorBody',
  type: 'object',
  required: ['error', 'code', 'request_id'],
  properties: {
    error: { type: 'string' },
    code: { type: 'string', enum: [...WIRE_ERROR_CODES] },
    request_id: { type: 'string' },
  },
} as const;

/** Every route answers its errors in the one body shape. */
export const errorResponses = {
  '4xx': { $ref: 'ErrorBody#' },
  '5xx': { $ref: 'ErrorBody#' },
} as const;

export const modelParams = {
  type: 'object',
  required: ['model'],
  properties: { model: { type: 'string', pattern: MODEL_NAME_PATTERN, examples: [EXAMPLE_MODEL] } },
} as const;

/** `{model, version}` path parameters of the explicit-version routes. */
export const modelVersionParams = {
  type: 'object',
  required: ['model', 'version'],
  properties: {
    model: { type: 'string', pattern: MODEL_NAME_PATTERN, examples: [EXAMPLE_MODEL] },
    version: { type: 'string', pattern: MODEL_VERSION_PATTERN, examples: [EXAMPLE_VERSION] },
  },
} as const;

/** The header naming the version that answered, on every prediction. */
export const MODEL_VERSION_HEADER = 'x-model-version';

/** Columns per row are bounded well above any model's width; the manifest gives the exact one. */
export const MAX_ROW_WIDTH = 4096;

export function rowsSchema(maxRows: number) {
  return {
    type: 'array',
    minItems: 1,
    maxItems: maxRows,
    items: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_ROW_WIDTH,
      items: { type: 'number' },
    },
  } as const;
}

/** `number[][]` or a single row `number[]`. */
export function rowsOrRowSchema(maxRows: number) {
  return {
    anyOf: [
      rowsSchema(maxRows),
      { type: 'array', minItems: 1, maxItems: MAX_ROW_WIDTH, items: { type: 'number' } },
    ],
  } as const;
}

export const predictResultProperties = {
  /** The name the caller used: a model's, or an alias. */
  model_name: { type: 'string' },
  /** The model that answered: `model_name` itself, or the model its alias names. */
  resolved_model_name: { type: 'string' },
  model_version: { type: 'string' },
  predictions: { type: 'array', items: { type: 'integer' } },
  probabilities: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
  labels: { type: 'array', items: { type: 'string' } },
} as const;

export const tensorSpec = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    datatype: { type: 'string' },
    shape: { type: 'array', items: { type: 'integer' } },
  },
} as const;
