import type { FastifyInstance } from 'fastify';
import { requestDeadline } from '../deadline.js';
import type { RouteContext } from '../route-context.js';
import { errorResponses, modelParams, predictResultProperties, rowsSchema } from '../schemas.js';

interface ModelParams {
  model: string;
}

/** KServe V1 (the TensorFlow Serving style protocol). */
export async function v1Routes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const { predictor, registry, config } = ctx;

  app.get(
    '/v1/models',
    {
      schema: {
        tags: ['kserve-v1'],
        summary: 'List known models',
        response: {
          200: {
            type: 'object',
            properties: { models: { type: 'array', items: { type: 'string' } } },
          },
          ...errorResponses,
        },
      },
    },
    async () => ({ models: registry.list().map((m) => m.name) }),
  );

  app.get<{ Params: ModelParams }>(
    '/v1/models/:model',
    {
      schema: {
        tags: ['kserve-v1'],
        summary: 'Model status',
        params: modelParams,
        response: {
          200: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              version: { type: 'string' },
              ready: { type: 'boolean' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const m = predictor.model(request.params.model);
      return { name: m.name, version: m.version, ready: registry.liveWorkers(m.name) > 0 };
    },
  );

  // `::` is find-my-way's escaped literal colon. A bare `:model::predict` would name the
  // parameter "model::predict"; the regex ends the parameter where ":predict" begins, and the
  // schema's pattern then checks the name (a bad one is a 400, not a missing route).
  app.post<{ Params: ModelParams; Body: { instances: number[][] } }>(
    '/v1/models/:model(^[^:/]+)::predict',
    {
      schema: {
        tags: ['kserve-v1'],
        summary: 'Predict (KServe V1)',
        params: modelParams,
        body: {
          type: 'object',
          required: ['instances'],
          properties: { instances: rowsSchema(config.maxRowsPerRequest) },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              predictions: predictResultProperties.predictions,
              probabilities: predictResultProperties.probabilities,
              model_name: { type: 'string' },
              model_version: { type: 'string' },
              cached: { type: 'boolean' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const deadline = requestDeadline(request.headers, config);
      const { result, cached } = await predictor.predict({
        model: request.params.model,
        rows: request.body.instances,
        requestId: request.id,
        deadline,
      });
      return {
        predictions: result.predictions,
        probabilities: result.probabilities,
        model_name: result.model_name,
        model_version: result.model_version,
        cached,
      };
    },
  );
}
