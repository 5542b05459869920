import type { FastifyRequest } from 'fastify';

import '../identity/identity.js';

/** Whose jobs are whose while no key identifies the caller (AUTH=off). */
export const ANONYMOUS_OWNER = 'anonymous';

/**
 * The owner of the jobs a request submits or may see: the API key id that identity found for the
 * request (`request.caller.keyId`), else anonymous. The one place that decides it.
 */
export function jobOwner(request: FastifyRequest): string {
  const keyId = request.caller?.keyId;
  return typeof keyId === 'string' && keyId !== '' ? keyId : ANONYMOUS_OWNER;
}
