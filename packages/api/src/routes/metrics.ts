import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from '../metrics.js';

/** Prometheus exposition of the gateway's own registry. */
export async function metricsRoutes(
  app: FastifyInstance,
  options: { metrics: GatewayMetrics },
): Promise<void> {
  const { registry } = options.metrics;
  app.get(
    '/metrics',
    {
      schema: { tags: ['health'], summary: 'Prometheus metrics' },
      config: { scope: 'admin', rateLimit: false },
    },
    async (_request, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    },
  );
}
