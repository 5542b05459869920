import type { ModelSpec } from '@mlapi/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestDeadline } from '../deadline.js';
import { ApiError } from '../errors.js';
import { adoptBodyRequestId } from '../request-id.js';
import type { RouteContext } from '../route-context.js';
import {
  errorResponses,
  MODEL_VERSION_HEADER,
  modelParams,
  modelVersionParams,
} from '../schemas.js';
import { recordingContext } from '../tracing/recording-context.js';
import { callerKey } from '../traffic/caller.js';
import {
  checkOutputNames,
  resultToTensors,
  tensorToRows,
  type V2InputTensor,
} from '../v2-tensor.js';
import {
  maxTensorValues,
  v2InferBody,
  v2InferResponse,
  v2MetadataResponse,
  v2ReadyResponse,
} from './v2-schemas.js';

interface ModelParams {
  model: string;
  version?: string;
}

interface InferBody {
  id?: string;
  parameters?: { timeout_ms?: number };
  inputs: V2InputTensor[];
  outputs?: { name: string }[];
}

const SERVER_VERSION = '0.1.0';

/**
 * Open Inference Protocol V2 (KServe V2). Each model route also exists under
 * `/versions/{version}`, which addresses one version; without it, the model's traffic policy
 * picks the version that serves and its primary version describes the model.
 */
export async function v2Routes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const { predictor, registry, config, state } = ctx;

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
      config: { scope: 'public', rateLimit: false },
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
      config: { scope: 'public', rateLimit: false },
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
      config: { scope: 'public', rateLimit: false },
    },
    async () => {
      if (!state.ready()) throw new ApiError('UNAVAILABLE', 'the gateway is not ready');
      return { ready: true };
    },
  );

  const metadata = async (request: FastifyRequest<{ Params: ModelParams }>) => {
    const { model, version } = request.params;
    const m = predictor.model(model, version);
    const classes = m.labels.length > 0 ? m.labels.length : -1;
    // An alias pinned to a version describes that version only.
    const pinned = predictor.resolve(model, version).version;
    return {
      name: model,
      resolved_model_name: m.name,
      versions: pinned === undefined ? registry.versions(m.name) : [m.version],
      platform: m.platform,
      inputs: m.inputs,
      outputs: [
        { name: 'predictions', datatype: 'INT64', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, classes] },
        { name: 'label', datatype: 'BYTES', shape: [-1] },
      ],
    };
  };
  for (const [url, params, summary] of [
    ['/v2/models/:model', modelParams, 'Model metadata (its primary version) and its versions'],
    ['/v2/models/:model/versions/:version', modelVersionParams, 'Metadata of one version'],
  ] as const) {
    app.get<{ Params: ModelParams }>(
      url,
      { schema: { tags: ['oip-v2'], summary, params, response: v2MetadataResponse } },
      metadata,
    );
  }

  const ready = async (request: FastifyRequest<{ Params: ModelParams }>) => {
    const { model, version } = request.params;
    const m = predictor.model(model, version);
    const live = predictor.ready(model, version);
    if (!live) {
      const what =
        version === undefined ? `model "${m.name}"` : `model "${m.name}" version "${version}"`;
      throw new ApiError('UNAVAILABLE', `${what} has no live worker`);
    }
    return { name: model, resolved_model_name: m.name, ready: true };
  };
  for (const [url, params, summary] of [
    ['/v2/models/:model/ready', modelParams, 'Model readiness: 200 when requests can be served'],
    ['/v2/models/:model/versions/:version/ready', modelVersionParams, 'Version readiness'],
  ] as const) {
    app.get<{ Params: ModelParams }>(
      url,
      { schema: { tags: ['oip-v2'], summary, params, response: v2ReadyResponse } },
      ready,
    );
  }

  const infer = async (
    request: FastifyRequest<{ Params: ModelParams; Body: InferBody }>,
    reply: FastifyReply,
  ) => {
    const { body } = request;
    const choice = predictor.choose(
      request.params.model,
      request.params.version,
      callerKey(request),
    );
    const manifest: ModelSpec = choice.spec;
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
      choice,
      rows,
      requestId,
      deadline,
      traceContext: recordingContext(request),
    });
    reply.header(MODEL_VERSION_HEADER, result.model_version);
    return {
      model_name: request.params.model,
      resolved_model_name: result.model_name,
      model_version: result.model_version,
      id: requestId,
      parameters: { cached },
      outputs: resultToTensors(result, wanted),
    };
  };
  const inferBody = v2InferBody(maxTensorValues(config.maxRowsPerRequest));
  for (const [url, params, summary] of [
    ['/v2/models/:model/infer', modelParams, 'Inference (OIP V2), version by traffic policy'],
    ['/v2/models/:model/versions/:version/infer', modelVersionParams, 'Inference with one version'],
  ] as const) {
    app.post<{ Params: ModelParams; Body: InferBody }>(
      url,
      {
        preValidation: adoptBodyRequestId('id'),
        schema: { tags: ['oip-v2'], summary, params, body: inferBody, response: v2InferResponse },
      },
      infer,
    );
  }
}
