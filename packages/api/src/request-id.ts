import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

/** Safe in a log line, an HTTP header and an AMQP messageId. */
export const REQUEST_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$';
const REQUEST_ID = new RegExp(REQUEST_ID_PATTERN);
export const REQUEST_ID_HEADER = 'x-request-id';

/** Fastify's genReqId: the caller's `x-request-id` when it is safe, else a fresh UUID. */
export function requestIdFrom(req: IncomingMessage): string {
  const header = req.headers[REQUEST_ID_HEADER];
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}

/**
 * A route-level preValidation hook for routes whose body may carry the request id
 * (`/predict`'s `request_id`, V2's `id`). Precedence: that body field, then the `x-request-id`
 * header, then a generated id (genReqId has already applied the last two). The id chosen here
 * is the only one the request uses from now on: it replaces `request.id` (which the routes send
 * as the AMQP messageId and put in the body), the echoed header, and the `request_id` bound
 * into `request.log`, so a log line can never carry a different id from the response.
 * It runs before schema validation so a 400 for another field already names the body's id; an
 * id that fails the pattern is left to the schema to refuse.
 */
export function adoptBodyRequestId(field: string) {
  return function adopt(
    this: { log: FastifyRequest['log'] },
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void {
    const body = request.body;
    const value =
      typeof body === 'object' && body !== null && !Array.isArray(body)
        ? (body as Record<string, unknown>)[field]
        : undefined;
    if (typeof value === 'string' && value !== request.id && REQUEST_ID.test(value)) {
      request.id = value;
      // A fresh child of the instance's logger: a child of request.log would carry both ids.
      request.log = this.log.child({ request_id: value });
      reply.log = request.log;
      reply.header(REQUEST_ID_HEADER, value);
    }
    done();
  };
}
