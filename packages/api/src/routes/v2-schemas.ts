import { v2InferBodyExamples } from '../docs/examples.js';
import { REQUEST_ID_PATTERN } from '../request-id.js';
import { errorResponses, MAX_ROW_WIDTH, tensorSpec } from '../schemas.js';
import { V2_OUTPUTS } from '../v2-tensor.js';

/** Model metadata (OIP V2): one version's inputs and outputs, and the versions it lists. */
export const v2MetadataResponse = {
  200: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      resolved_model_name: { type: 'string' },
      versions: { type: 'array', items: { type: 'string' } },
      platform: { type: 'string' },
      inputs: { type: 'array', items: tensorSpec },
      outputs: { type: 'array', items: tensorSpec },
    },
  },
  ...errorResponses,
} as const;

export const v2ReadyResponse = {
  200: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      resolved_model_name: { type: 'string' },
      ready: { type: 'boolean' },
    },
  },
  ...errorResponses,
} as const;

/** The inference request body; `maxValues` bounds shape and data by the rows a request may hold. */
export function v2InferBody(maxValues: number) {
  return {
    type: 'object',
    required: ['inputs'],
    'x-examples': v2InferBodyExamples,
    properties: {
      id: { type: 'string', pattern: REQUEST_ID_PATTERN },
      parameters: {
        type: 'object',
        properties: { timeout_ms: { type: 'integer', minimum: 1 } },
      },
      inputs: {
        type: 'array',
        minItems: 1,
        maxItems: 1,
        items: {
          type: 'object',
          required: ['name', 'shape', 'datatype', 'data'],
          properties: {
            name: { type: 'string', maxLength: 256 },
            shape: {
              type: 'array',
              minItems: 1,
              maxItems: 2,
              items: { type: 'integer', minimum: 1, maximum: maxValues },
            },
            datatype: { type: 'string', enum: ['FP32', 'FP64'] },
            // Items are checked while flattening, bounded by the shape's rank.
            data: { type: 'array', minItems: 1, maxItems: maxValues },
          },
        },
      },
      outputs: {
        type: 'array',
        maxItems: V2_OUTPUTS.length,
        items: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', maxLength: 256 } },
        },
      },
    },
  } as const;
}

export const v2InferResponse = {
  200: {
    type: 'object',
    properties: {
      model_name: { type: 'string' },
      resolved_model_name: { type: 'string' },
      model_version: { type: 'string' },
      id: { type: 'string' },
      parameters: { type: 'object', properties: { cached: { type: 'boolean' } } },
      outputs: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            datatype: { type: 'string' },
            shape: { type: 'array', items: { type: 'integer' } },
            data: {
              type: 'array',
              items: { anyOf: [{ type: 'number' }, { type: 'string' }] },
            },
          },
        },
      },
    },
  },
  ...errorResponses,
} as const;

/** `MAX_ROW_WIDTH` values per row bound a tensor's size. */
export const maxTensorValues = (maxRows: number): number => maxRows * MAX_ROW_WIDTH;
