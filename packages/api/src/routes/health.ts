import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import type { RouteContext } from '../route-context.js';
import { errorResponses } from '../schemas.js';

const statusBody = { type: 'object', properties: { status: { type: 'string' } } } as const;
const connection = { type: 'string', enum: ['up', 'down', 'off'] } as const;
const readyBody = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    redis: {
      type: 'object',
      description:
        "Each Redis role's connection (off: none configured). Informative: a down cache or " +
        'state Redis does not make the gateway unready',
      properties: { cache: connection, state: connection },
    },
  },
} as const;

/** Kubernetes probes: live while the process runs; ready while it should take traffic. */
export async function healthRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get(
    '/health/live',
    {
      schema: { tags: ['health'], response: { 200: statusBody } },
      config: { scope: 'public', rateLimit: false },
    },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['health'],
        summary: '200 when connected to the broker and not shutting down, else 503',
        response: { 200: readyBody, ...errorResponses },
      },
      config: { scope: 'public', rateLimit: false },
    },
    async () => {
      if (!ctx.state.ready()) throw new ApiError('UNAVAILABLE', 'the gateway is not ready');
      return { status: 'ready', ...(ctx.state.redis ? { redis: ctx.state.redis() } : {}) };
    },
  );
}
