import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';

export interface MemoryGuardOptions {
  /** Refuse requests with a body above this resident set size, in MiB; 0: never. */
  maxRssMb: number;
  /** Cap on open client sockets; 0: none. */
  maxConnections: number;
  /** Called for each refusal, for the metrics. */
  onReject: () => void;
}

/**
 * Keeps the gateway's memory bounded under a flood, whatever the models are doing.
 *
 * - A socket cap: Node refuses connections beyond it, so idle or slow clients cannot pile up.
 * - @fastify/under-pressure: while the resident set is above the limit, a request with a body
 *   (a prediction) is refused with 503 OVERLOADED before its body is read or buffered. Requests
 *   without one (health, metrics, docs) still pass, so probes keep telling the truth. Its sample
 *   is taken once a second, so a burst can overshoot the limit a little: keep the limit under
 *   the container's.
 */
export async function memoryGuard(app: FastifyInstance, options: MemoryGuardOptions) {
  if (options.maxConnections > 0) app.server.maxConnections = options.maxConnections;
  if (options.maxRssMb === 0) return;
  await app.register(underPressure, {
    maxRssBytes: options.maxRssMb * 1024 * 1024,
    pressureHandler: (request) => {
      if (request.method === 'GET' || request.method === 'HEAD') return undefined;
      options.onReject();
      // Whatever the handler returns is sent (through the error handler, for an Error); the
      // plugin's types say void, its code (handlePressure) says "send it".
      return new ApiError('OVERLOADED', 'the gateway is short of memory; retry later', {
        retryAfterSeconds: 1,
      }) as unknown as undefined;
    },
  });
}
