import type { FastifyRequest } from 'fastify';
import '../identity/identity.js';

export const SESSION_HEADER = 'x-session-id';
const MAX_CALLER_LENGTH = 256;

/**
 * Who is calling, for sticky version assignment (DESIGN.md, "Versions"): the API key id when
 * identity found one, else the `x-session-id` header, else the client IP. The one place that
 * decides it.
 */
export function callerKey(request: FastifyRequest): string {
  const keyId = request.caller?.keyId;
  if (typeof keyId === 'string') return `k:${keyId}`;
  const session = request.headers[SESSION_HEADER];
  if (typeof session === 'string' && session.length > 0) {
    return `s:${session.slice(0, MAX_CALLER_LENGTH)}`;
  }
  return `ip:${request.ip}`;
}
