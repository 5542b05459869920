import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import type { UsageReport } from '../identity/usage-report.js';
import { errorResponses } from '../schemas.js';
import { usageView } from './key-schemas.js';
import '../console/route-scope.js';

/** `GET /v1/usage`: the caller's own limits, use, remainder and resets. */
export async function usageRoutes(
  app: FastifyInstance,
  options: { usage: UsageReport },
): Promise<void> {
  app.get(
    '/v1/usage',
    {
      // Any valid key may read its own figures; reading them spends no budget.
      config: { scope: 'predict', anyKey: true, rateLimit: false },
      schema: {
        tags: ['identity'],
        summary: "The caller's limits, what it has used and has left, and when each window resets",
        response: { 200: usageView, ...errorResponses },
      },
    },
    async (request) => {
      if (request.caller === null) throw new ApiError('UNAUTHENTICATED', 'an API key is required');
      return options.usage.ofCaller(request.caller);
    },
  );
}
