import type { FastifyInstance } from 'fastify';
import { requestDeadline } from '../deadline.js';
import { ApiError } from '../errors.js';
import { adoptBodyRequestId, REQUEST_ID_PATTERN } from '../request-id.js';
import type { RouteContext } from '../route-context.js';
import { errorResponses, MAX_ROW_WIDTH, modelParams, tensorSpec } from '../schemas.js';
import {
  checkOutputNames,
  resultToTensors,
  tensorToRows,
  V2_OUTPUTS,
  type V2InputTensor,
} from '../v2-tensor.js';

interface ModelParams {
  model: string;
}

interface InferBody {
  id?: string;
  parameters?: { timeout_ms?: number };
  inputs: V2InputTensor[];
  outputs?: { name: string }[];
}

const SERVER_VERSION = '0.1.0';

/** Open Inference Protocol V2 (KServe V2). */
export async function v2Routes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const { predictor, registry, config, state } = ctx;
  const maxValues = config.maxRowsPerRequest * MAX_ROW_WIDTH;

  app.get(
    '/v2',
    {
      schema: {
        tags: ['oip-v2'],
        summary: 'Server metadata',
        response: {
          200: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              version: { type: 'string' },
              extensions: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
      config: { rateLimit: false },
    },
    async () => ({ name: 'mlapi', version: SERVER_VERSION, extensions: [] }),
  );

  app.get(
    '/v2/health/live',
    {
      schema: {
        tags: ['oip-v2'],
        response: { 200: { type: 'object', properties: { live: { type: 'boolean' } } } },
      },
      config: { rateLimit: false },
    },
    async () => ({ live: true }),
  );

  app.get(
    '/v2/health/ready',
    {
      schema: {
        tags: ['oip-v2'],
        response: {
          200: { type: 'object', properties: { ready: { type: 'boolean' } } },
          ...errorResponses,
        },
      },
      config: { rateLimit: false },
    },
    async () => {
      if (!state.ready()) throw new ApiError('UNAVAILABLE', 'the gateway is not ready');
      return { ready: true };
    },
  );

  app.get<{ Params: ModelParams }>(
    '/v2/models/:model',
    {
      schema: {
        tags: ['oip-v2'],
        summary: 'Model metadata',
        params: modelParams,
        response: {
          200: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              versions: { type: 'array', items: { type: 'string' } },
              platform: { type: 'string' },
              inputs: { type: 'array', items: tensorSpec },
              outputs: { type: 'array', items: tensorSpec },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const m = predictor.model(request.params.model);
      const classes = m.labels.length > 0 ? m.labels.length : -1;
      return {
        name: m.name,
        versions: [m.version],
        platform: m.platform,
        inputs: m.inputs,
        outputs: [
          { name: 'predictions', datatype: 'INT64', shape: [-1] },
          { name: 'probabilities', datatype: 'FP32', shape: [-1, classes] },
          { name: 'label', datatype: 'BYTES', shape: [-1] },
        ],
      };
    },
  );

  app.get<{ Params: ModelParams }>(
    '/v2/models/:model/ready',
    {
      schema: {
        tags: ['oip-v2'],
        summary: 'Model readiness: 200 when a worker is live, else 503',
        params: modelParams,
        response: {
          200: {
            type: 'object',
            properties: { name: { type: 'string' }, ready: { type: 'boolean' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const m = predictor.model(request.params.model);
      if (registry.liveWorkers(m.name) === 0) {
        throw new ApiError('UNAVAILABLE', `model "${m.name}" has no live worker`);
      }
      return { name: m.name, ready: true };
    },
  );

  app.post<{ Params: ModelParams; Body: InferBody }>(
    '/v2/models/:model/infer',
    {
      preValidation: adoptBodyRequestId('id'),
      schema: {
        tags: ['oip-v2'],
        summary: 'Inference (Open Inference Protocol V2)',
        params: modelParams,
        body: {
          type: 'object',
          required: ['inputs'],
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
        },
        response: {
          200: {
            type: 'object',
            properties: {
              model_name: { type: 'string' },
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
        },
      },
    },
    async (request) => {
      const { body } = request;
      const manifest = predictor.model(request.params.model);
      const input = body.inputs[0] as V2InputTensor;
      const expected = manifest.inputs[0]?.name;
      if (expected !== undefined && input.name !== expected) {
        throw new ApiError('BAD_INPUT', `model "${manifest.name}" has one input, "${expected}"`);
      }
      const rows = tensorToRows(input, manifest);
      const deadline = requestDeadline(request.headers, config, body.parameters?.timeout_ms);
      const wanted = body.outputs?.map((o) => o.name);
      checkOutputNames(wanted);
      const requestId = request.id;
      const { result, cached } = await predictor.predict({
        model: manifest.name,
        rows,
        requestId,
        deadline,
      });
      return {
        model_name: result.model_name,
        model_version: result.model_version,
        id: requestId,
        parameters: { cached },
        outputs: resultToTensors(result, wanted),
      };
    },
  );
}
