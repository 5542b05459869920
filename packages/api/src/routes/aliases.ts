import { MODEL_NAME_PATTERN, MODEL_VERSION_PATTERN } from '@mlapi/contracts';
import type { FastifyInstance } from 'fastify';
import type { ModelAliases } from '../aliases/model-aliases.js';
import { aliasBodyExamples, EXAMPLE_ALIAS } from '../docs/examples.js';
import { errorResponses } from '../schemas.js';

import '../console/route-scope.js';

interface AliasParams {
  alias: string;
}

interface AliasBody {
  model: string;
  version?: string;
}

const aliasParams = {
  type: 'object',
  required: ['alias'],
  properties: { alias: { type: 'string', pattern: MODEL_NAME_PATTERN, examples: [EXAMPLE_ALIAS] } },
} as const;

/** One alias as every alias route answers it (aliases/model-aliases.ts AliasView). */
export const aliasView = {
  type: 'object',
  properties: {
    alias: { type: 'string' },
    model: { type: 'string' },
    version: { type: ['string', 'null'] },
    source: { type: 'string', enum: ['manifest', 'admin'] },
    updated_at: { type: ['string', 'null'] },
  },
} as const;

/**
 * `GET /admin/aliases`, `PUT|DELETE /admin/aliases/{alias}`: aliases set at run time, shared by
 * every gateway replica as traffic policies are. Manifest aliases are listed too but are changed
 * only by a new manifest.
 */
export async function aliasRoutes(
  app: FastifyInstance,
  options: { aliases: ModelAliases },
): Promise<void> {
  const { aliases } = options;
  const config = { scope: 'admin' } as const;

  app.get(
    '/admin/aliases',
    {
      config,
      schema: {
        tags: ['admin'],
        summary: 'Every alias in force: from manifests and from the admin API',
        response: {
          200: { type: 'object', properties: { aliases: { type: 'array', items: aliasView } } },
          ...errorResponses,
        },
      },
    },
    async () => ({ aliases: aliases.list() }),
  );

  app.put<{ Params: AliasParams; Body: AliasBody }>(
    '/admin/aliases/:alias',
    {
      config,
      schema: {
        tags: ['admin'],
        summary: 'Point an alias at a model, or at one version of it',
        params: aliasParams,
        body: {
          type: 'object',
          required: ['model'],
          additionalProperties: false,
          'x-examples': aliasBodyExamples,
          properties: {
            model: { type: 'string', pattern: MODEL_NAME_PATTERN },
            version: { type: 'string', pattern: MODEL_VERSION_PATTERN },
          },
        },
        response: { 200: aliasView, ...errorResponses },
      },
    },
    async (request) =>
      aliases.set(request.params.alias, {
        model: request.body.model,
        version: request.body.version ?? null,
      }),
  );

  app.delete<{ Params: AliasParams }>(
    '/admin/aliases/:alias',
    {
      config,
      schema: {
        tags: ['admin'],
        summary: 'Remove an alias set through the admin API',
        params: aliasParams,
        response: {
          200: { type: 'object', properties: { alias: { type: 'string' } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await aliases.clear(request.params.alias);
      return { alias: request.params.alias };
    },
  );
}
