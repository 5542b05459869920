import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestDeadline } from '../deadline.js';
import { v1PredictBodyExamples } from '../docs/examples.js';
import type { RouteContext } from '../route-context.js';
import {
  errorResponses,
  MODEL_VERSION_HEADER,
  modelParams,
  modelVersionParams,
  predictResultProperties,
  rowsSchema,
} from '../schemas.js';
import { recordingContext } from '../tracing/recording-context.js';
import { callerKey } from '../traffic/caller.js';
import { aliasView } from './aliases.js';

interface ModelParams {
  model: string;
  version?: string;
}

/** KServe V1 (the TensorFlow Serving style protocol). */
export async function v1Routes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const { predictor, registry, aliases, config } = ctx;

  app.get(
    '/v1/models',
    {
      schema: {
        tags: ['kserve-v1'],
        summary: 'List known models, and the aliases that name them',
        response: {
          200: {
            type: 'object',
            properties: {
              models: { type: 'array', items: { type: 'string' } },
              aliases: { type: 'array', items: aliasView },
            },
          },
          ...errorResponses,
        },
      },
    },
    async () => ({ models: registry.models(), aliases: aliases.list() }),
  );

  const statusSchema = (params: object, summary: string) => ({
    tags: ['kserve-v1'],
    summary,
    params,
    response: {
      200: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          resolved_model_name: { type: 'string' },
          version: { type: 'string' },
          versions: { type: 'array', items: { type: 'string' } },
          ready: { type: 'boolean' },
        },
      },
      ...errorResponses,
    },
  });
  const status = async (request: FastifyRequest<{ Params: ModelParams }>) => {
    const { model, version } = request.params;
    const m = predictor.model(model, version);
    // An alias pinned to a version describes that version only.
    const pinned = predictor.resolve(model, version).version;
    return {
      name: model,
      resolved_model_name: m.name,
      version: m.version,
      versions: pinned === undefined ? registry.versions(m.name) : [m.version],
      ready: predictor.ready(model, version),
    };
  };
  app.get<{ Params: ModelParams }>(
    '/v1/models/:model',
    { schema: statusSchema(modelParams, 'Model status: its primary version, and all of them') },
    status,
  );
  app.get<{ Params: ModelParams }>(
    '/v1/models/:model/versions/:version',
    { schema: statusSchema(modelVersionParams, 'Status of one version of a model') },
    status,
  );

  const predictSchema = (params: object, summary: string) => ({
    tags: ['kserve-v1'],
    summary,
    params,
    body: {
      type: 'object',
      required: ['instances'],
      'x-examples': v1PredictBodyExamples,
      properties: { instances: rowsSchema(config.maxRowsPerRequest) },
    },
    response: {
      200: {
        type: 'object',
        properties: {
          predictions: predictResultProperties.predictions,
          probabilities: predictResultProperties.probabilities,
          model_name: predictResultProperties.model_name,
          resolved_model_name: predictResultProperties.resolved_model_name,
          model_version: predictResultProperties.model_version,
          cached: { type: 'boolean' },
        },
      },
      ...errorResponses,
    },
  });
  const predict = async (
    request: FastifyRequest<{ Params: ModelParams; Body: { instances: number[][] } }>,
    reply: FastifyReply,
  ) => {
    const deadline = requestDeadline(request.headers, config);
    const { model, version } = request.params;
    const { result, cached } = await predictor.predict({
      model,
      ...(version !== undefined ? { version } : {}),
      caller: callerKey(request),
      rows: request.body.instances,
      requestId: request.id,
      deadline,
      traceContext: recordingContext(request),
    });
    reply.header(MODEL_VERSION_HEADER, result.model_version);
    return {
      predictions: result.predictions,
      probabilities: result.probabilities,
      model_name: model,
      resolved_model_name: result.model_name,
      model_version: result.model_version,
      cached,
    };
  };

  // `::` is find-my-way's escaped literal colon. A bare `:model::predict` would name the
  // parameter "model::predict"; the regex ends the parameter where ":predict" begins, and the
  // schema's pattern then checks the name (a bad one is a 400, not a missing route).
  app.post<{ Params: ModelParams; Body: { instances: number[][] } }>(
    '/v1/models/:model(^[^:/]+)::predict',
    { schema: predictSchema(modelParams, 'Predict (KServe V1), version by traffic policy') },
    predict,
  );
  app.post<{ Params: ModelParams; Body: { instances: number[][] } }>(
    '/v1/models/:model/versions/:version(^[^:/]+)::predict',
    { schema: predictSchema(modelVersionParams, 'Predict (KServe V1) with one version') },
    predict,
  );
}
