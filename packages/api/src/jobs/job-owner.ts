import type { FastifyRequest } from 'fastify';

/** Whose jobs are whose while no key identifies the caller (AUTH=off). */
export const ANONYMOUS_OWNER = 'anonymous';

/**
 * The owner of the jobs a request submits or may see: the API key id that identity sets on the
 * request as `callerId`, else anonymous. The one place that decides it.
 */
export function jobOwner(request: FastifyRequest): string {
  const callerId = (request as FastifyRequest & { callerId?: unknown }).callerId;
  return typeof callerId === 'string' && callerId !== '' ? callerId : ANONYMOUS_OWNER;
}
