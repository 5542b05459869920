import { MODEL_VERSION_PATTERN } from '@mlapi/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { trafficPolicyExamples } from '../docs/examples.js';
import { ApiError } from '../errors.js';
import { errorResponses, modelParams } from '../schemas.js';
import type { TrafficPolicies } from '../traffic/policies.js';

import '../console/route-scope.js';

interface ModelParams {
  model: string;
}

const weights = {
  type: 'object',
  propertyNames: { pattern: MODEL_VERSION_PATTERN },
  additionalProperties: { type: 'integer', minimum: 0 },
} as const;
const shadow = {
  anyOf: [
    { type: 'null' },
    {
      type: 'object',
      required: ['version', 'percent'],
      additionalProperties: false,
      properties: {
        version: { type: 'string', pattern: MODEL_VERSION_PATTERN },
        percent: { type: 'number', minimum: 0, maximum: 100 },
      },
    },
  ],
} as const;
const autoRollback = {
  anyOf: [
    { type: 'null' },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        margin: { type: 'number', minimum: 0, maximum: 1 },
        window_seconds: { type: 'integer', minimum: 10, maximum: 3600 },
        min_requests: { type: 'integer', minimum: 1 },
      },
    },
  ],
} as const;
const policy = {
  type: 'object',
  required: ['weights'],
  additionalProperties: false,
  properties: { weights, shadow, auto_rollback: autoRollback },
} as const;

const view = {
  200: {
    type: 'object',
    properties: {
      model: { type: 'string' },
      policy: { anyOf: [{ type: 'null' }, policy] },
      revision: { type: 'integer' },
      updated_at: { type: ['string', 'null'] },
      buckets: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            version: { type: 'string' },
            from: { type: 'integer' },
            to: { type: 'integer' },
          },
        },
      },
      rollbacks: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            version: { type: 'string' },
            at: { type: 'string' },
            error_rate: { type: 'number' },
            stable_version: { type: 'string' },
            stable_error_rate: { type: 'number' },
          },
        },
      },
      versions: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            version: { type: 'string' },
            live_workers: { type: 'integer' },
            share: { type: 'number' },
          },
        },
      },
    },
  },
  ...errorResponses,
} as const;

const ifMatch = {
  type: 'object',
  properties: { 'if-match': { type: 'string', pattern: '^(W/)?"?[0-9]{1,15}"?$' } },
} as const;

/** `If-Match: "3"` (or 3) → 3; absent → undefined. */
function revisionOf(request: FastifyRequest): number | undefined {
  const raw = request.headers['if-match'];
  if (raw === undefined) return undefined;
  const digits = /[0-9]+/.exec(String(raw));
  if (digits === null) throw new ApiError('BAD_INPUT', 'If-Match must be a policy revision');
  return Number(digits[0]);
}

/**
 * `GET|PUT|DELETE /admin/models/{m}/traffic`: a model's traffic policy, shared by every gateway
 * replica. Under /admin/, which needs the admin scope once authentication is on.
 */
export async function trafficRoutes(
  app: FastifyInstance,
  options: { policies: TrafficPolicies },
): Promise<void> {
  const { policies } = options;
  const url = '/admin/models/:model/traffic';
  const config = { scope: 'admin' } as const;

  app.get<{ Params: ModelParams }>(
    url,
    {
      config,
      schema: {
        tags: ['admin'],
        summary: "A model's traffic policy, sticky buckets and each version's share now",
        params: modelParams,
        response: view,
      },
    },
    async (request) => policies.view(request.params.model),
  );

  app.put<{ Params: ModelParams; Body: unknown }>(
    url,
    {
      config,
      schema: {
        tags: ['admin'],
        summary: 'Set the traffic policy: weights per version, shadow, automatic rollback',
        params: modelParams,
        headers: ifMatch,
        body: { ...policy, 'x-examples': trafficPolicyExamples },
        response: view,
      },
    },
    async (request) => policies.set(request.params.model, request.body, revisionOf(request)),
  );

  app.delete<{ Params: ModelParams }>(
    url,
    {
      config,
      schema: {
        tags: ['admin'],
        summary: 'Remove the policy: live versions share traffic by live workers again',
        params: modelParams,
        headers: ifMatch,
        response: view,
      },
    },
    async (request) => policies.clear(request.params.model, revisionOf(request)),
  );
}
