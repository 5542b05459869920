import { createRequire } from 'node:module';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import '../console/route-scope.js';

/** Where Swagger UI is served; the document itself is also at /openapi.json. */
export const DOCS_PREFIX = '/docs';

/**
 * The plugin's own staticCSP allows styles only by hash, but Swagger UI sets inline styles as it
 * renders (blocked, with an error in the console), and it adds upgrade-insecure-requests, which
 * breaks the page when a gateway is reached over plain HTTP by a host name. Scripts stay limited
 * to the package's files and the hashes it ships.
 */
function docsCsp(): string {
  const { script } = createRequire(import.meta.url)('@fastify/swagger-ui/static/csp.json') as {
    script: string[];
  };
  return [
    "default-src 'self'",
    "base-uri 'self'",
    "font-src 'self' data:",
    "frame-ancestors 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    `script-src 'self' ${script.join(' ')}`,
    "script-src-attr 'none'",
    "style-src 'self' 'unsafe-inline'",
    "connect-src 'self'",
  ].join('; ');
}

/**
 * `GET /docs`: Swagger UI over the gateway's OpenAPI document, every file served from the
 * @fastify/swagger-ui package (no CDN), under a strict Content-Security-Policy. Register it
 * before the rate limiter: reading the docs should not spend a caller's request budget.
 */
export async function docsRoutes(app: FastifyInstance): Promise<void> {
  // The plugin's routes take no route config of their own; this scope's hook gives them theirs.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, scope: 'public' };
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    staticCSP: docsCsp(),
    uiConfig: {
      docExpansion: 'list',
      deepLinking: true,
      displayRequestDuration: true,
      tryItOutEnabled: true,
    },
  });
}
