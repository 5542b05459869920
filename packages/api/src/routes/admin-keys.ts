import type { FastifyInstance } from 'fastify';
import type { KeyAdmin, KeyChanges } from '../identity/key-admin.js';
import type { UsageReport } from '../identity/usage-report.js';
import { errorResponses } from '../schemas.js';
import { createdKey, createKeyBody, keyIdParams, keyView, updateKeyBody } from './key-schemas.js';
import '../console/route-scope.js';

interface IdParams {
  id: string;
}

/**
 * `/admin/keys` and `/admin/usage` (DESIGN.md, "Identity"): create, list, read, change and
 * revoke keys; rows per key today. Admin scope; no secret ever leaves except in a creation's
 * answer.
 */
export async function adminKeyRoutes(
  app: FastifyInstance,
  options: { admin: KeyAdmin; usage: UsageReport },
): Promise<void> {
  const { admin, usage } = options;
  const config = { scope: 'admin' } as const;
  const tags = ['admin'];

  app.post<{ Body: KeyChanges & { name: string } }>(
    '/admin/keys',
    {
      config,
      schema: {
        tags,
        summary: 'Create a key; the answer holds the whole key, shown this once',
        body: createKeyBody,
        response: { 201: createdKey, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await admin.create(request.body)),
  );

  app.get(
    '/admin/keys',
    {
      config,
      schema: {
        tags,
        summary: 'Every key (never a secret)',
        response: {
          200: { type: 'object', properties: { keys: { type: 'array', items: keyView } } },
          ...errorResponses,
        },
      },
    },
    async () => ({ keys: await admin.list() }),
  );

  app.get<{ Params: IdParams }>(
    '/admin/keys/:id',
    {
      config,
      schema: { tags, params: keyIdParams, response: { 200: keyView, ...errorResponses } },
    },
    async (request) => admin.get(request.params.id),
  );

  app.patch<{ Params: IdParams; Body: KeyChanges }>(
    '/admin/keys/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Change limits, scopes, models, expiry or disabled',
        params: keyIdParams,
        body: updateKeyBody,
        response: { 200: keyView, ...errorResponses },
      },
    },
    async (request) => admin.update(request.params.id, request.body),
  );

  app.delete<{ Params: IdParams }>(
    '/admin/keys/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Revoke a key: every replica refuses it within 2 s',
        params: keyIdParams,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await admin.revoke(request.params.id);
      return reply.status(204).send();
    },
  );

  app.get(
    '/admin/usage',
    {
      config,
      schema: {
        tags,
        summary: "Each key's requests and rows in the current windows",
        response: {
          200: {
            type: 'object',
            properties: {
              usage: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    key_id: { type: 'string' },
                    name: { type: 'string' },
                    day: { type: 'string' },
                    rows: { type: 'integer' },
                    rows_this_month: { type: 'integer' },
                    requests: { type: 'integer' },
                  },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async () => ({ usage: await usage.allKeys() }),
  );
}
