import { MODEL_NAME_PATTERN, MODEL_VERSION_PATTERN } from '@mlapi/contracts';
import type { FastifyInstance } from 'fastify';
import { requestDeadline } from '../deadline.js';
import { predictBodyExamples } from '../docs/examples.js';
import { adoptBodyRequestId, REQUEST_ID_PATTERN } from '../request-id.js';
import { type RouteContext, toRows } from '../route-context.js';
import {
  errorResponses,
  MODEL_VERSION_HEADER,
  predictResultProperties,
  rowsOrRowSchema,
} from '../schemas.js';
import { recordingContext } from '../tracing/recording-context.js';
import { callerKey } from '../traffic/caller.js';

interface PredictBody {
  model_name: string;
  model_version?: string;
  input_data: number[] | number[][];
  request_id?: string;
}

/**
 * `POST /predict`: the original system's route, routed by `model_name` (a model or an alias), at
 * `model_version` when given, else by the model's traffic policy. It answers the original
 * system's `prediction` beside `predictions`.
 */
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
          'x-examples': predictBodyExamples,
          properties: {
            model_name: { type: 'string', pattern: MODEL_NAME_PATTERN },
            model_version: { type: 'string', pattern: MODEL_VERSION_PATTERN },
            input_data: rowsOrRowSchema(config.maxRowsPerRequest),
            request_id: { type: 'string', pattern: REQUEST_ID_PATTERN },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              ...predictResultProperties,
              resolved_model_name: predictResultProperties.resolved_model_name,
              prediction: predictResultProperties.predictions,
              request_id: { type: 'string' },
              cached: { type: 'boolean' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const requestId = request.id;
      const deadline = requestDeadline(request.headers, config);
      const { result, cached } = await predictor.predict({
        model: body.model_name,
        ...(body.model_version !== undefined ? { version: body.model_version } : {}),
        caller: callerKey(request),
        rows: toRows(body.input_data),
        requestId,
        deadline,
        traceContext: recordingContext(request),
      });
      reply.header(MODEL_VERSION_HEADER, result.model_version);
      return {
        // The name the caller sent (perhaps an alias); the model and version that answered.
        model_name: body.model_name,
        resolved_model_name: result.model_name,
        model_version: result.model_version,
        predictions: result.predictions,
        // The original ml-models-api's field, so its clients read their answer unchanged.
        prediction: result.predictions,
        probabilities: result.probabilities,
        labels: result.labels,
        request_id: requestId,
        cached,
      };
    },
  );
}
