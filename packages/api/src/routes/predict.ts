import { MODEL_NAME_PATTERN } from '@mlapi/contracts';
import type { FastifyInstance } from 'fastify';
import { requestDeadline } from '../deadline.js';
import { adoptBodyRequestId, REQUEST_ID_PATTERN } from '../request-id.js';
import { type RouteContext, toRows } from '../route-context.js';
import { errorResponses, predictResultProperties, rowsOrRowSchema } from '../schemas.js';

interface PredictBody {
  model_name: string;
  input_data: number[] | number[][];
  request_id?: string;
}

/** `POST /predict`: the original system's route, routed by `model_name`. */
export async function predictRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const { predictor, config } = ctx;
  app.post<{ Body: PredictBody }>(
    '/predict',
    {
      preValidation: adoptBodyRequestId('request_id'),
      schema: {
        tags: ['predict'],
        summary: 'Predict with the named model',
        body: {
          type: 'object',
          required: ['model_name', 'input_data'],
          properties: {
            model_name: { type: 'string', pattern: MODEL_NAME_PATTERN },
            input_data: rowsOrRowSchema(config.maxRowsPerRequest),
            request_id: { type: 'string', pattern: REQUEST_ID_PATTERN },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              ...predictResultProperties,
              request_id: { type: 'string' },
              cached: { type: 'boolean' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const body = request.body;
      const requestId = request.id;
      const deadline = requestDeadline(request.headers, config);
      const { result, cached } = await predictor.predict({
        model: body.model_name,
        rows: toRows(body.input_data),
        requestId,
        deadline,
      });
      return {
        model_name: result.model_name,
        model_version: result.model_version,
        predictions: result.predictions,
        probabilities: result.probabilities,
        labels: result.labels,
        request_id: requestId,
        cached,
      };
    },
  );
}
