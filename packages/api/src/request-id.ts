import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Safe in a log line, an HTTP header and an AMQP messageId. */
export const REQUEST_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$';
const REQUEST_ID = new RegExp(REQUEST_ID_PATTERN);

/** Fastify's genReqId: the caller's `x-request-id` when it is safe, else a fresh UUID. */
export function requestIdFrom(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}
