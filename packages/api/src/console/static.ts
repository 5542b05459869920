import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import './route-scope.js';

export const CONSOLE_PREFIX = '/console';

/**
 * Scripts, styles and data only from the gateway itself; the console calls the same origin's API
 * and nothing else. uPlot and preact set styles through the CSSOM, which style-src allows.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Where `pnpm build` put the console's files (packages/console/dist), or null if it did not. */
export function consoleDir(): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve('@mlapi/console/package.json');
    const dir = join(dirname(pkg), 'dist');
    return existsSync(join(dir, 'index.html')) ? dir : null;
  } catch {
    return null;
  }
}

/**
 * `GET /console`: the operations console, static files built by `pnpm build` into
 * @mlapi/console's dist/ and served as they are (precompressed copies when the client takes
 * them). Nothing is built at run time. Hashed assets are cached for a year; index.html is
 * revalidated so a new gateway's console is picked up at once. Register before the rate limiter:
 * loading the page should not spend a caller's request budget.
 */
export async function consoleStatic(
  app: FastifyInstance,
  options: { dir?: string | null },
): Promise<void> {
  const dir = options.dir === undefined ? consoleDir() : options.dir;
  if (dir === null) {
    app.log.warn('the console is not built (pnpm build): /console answers 503');
  } else {
    await app.register(fastifyStatic, {
      root: dir,
      serve: false,
      preCompressed: true,
      cacheControl: false,
    });
  }
  const config = { scope: 'public', rateLimit: false } as const;
  const notBuilt = () => new ApiError('UNAVAILABLE', 'the console is not built: run pnpm build');

  app.get(CONSOLE_PREFIX, { schema: { hide: true }, config }, (request, reply) => {
    const query = request.url.slice(CONSOLE_PREFIX.length);
    // index.html's links are relative, so the page must be addressed as a folder.
    return reply.redirect(`${CONSOLE_PREFIX}/${query}`, 301);
  });
  app.get(`${CONSOLE_PREFIX}/`, { schema: { hide: true }, config }, (_request, reply) => {
    if (dir === null) throw notBuilt();
    return reply
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .sendFile('index.html');
  });
  app.get<{ Params: { '*': string } }>(
    `${CONSOLE_PREFIX}/*`,
    {
      schema: {
        hide: true,
        // No "..": the file is always under the console's folder.
        params: {
          type: 'object',
          properties: { '*': { type: 'string', pattern: '^(?!.*\\.\\.)[A-Za-z0-9._/-]{1,200}$' } },
        },
      },
      config,
    },
    (request, reply) => {
      if (dir === null) throw notBuilt();
      const file = request.params['*'];
      // Content-hashed names never change content; anything else is revalidated.
      const immutable = file.startsWith('assets/');
      return reply
        .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .sendFile(file);
    },
  );
}
