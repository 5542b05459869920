import { PassThrough } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** A Server-Sent Events response the route writes to until the client or the server ends it. */
export interface EventStream {
  send(event: string, data: unknown, id?: string): void;
  end(): void;
  readonly closed: boolean;
}

/** A client this far behind (unread bytes) is cut off rather than buffered for. */
const MAX_BUFFERED_BYTES = 1 << 20;

/**
 * Opens `reply` as an SSE stream. The body is a stream, so Fastify still sends the headers set
 * by hooks (x-request-id, ...); `onClose` runs once, whoever ends it.
 */
export function openEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  onClose: () => void,
  retryMs: number,
): EventStream {
  const body = new PassThrough();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    onClose();
    body.end();
  };
  request.raw.on('close', close);
  reply
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache, no-transform')
    // Proxies (nginx ingress) buffer responses unless told not to; events would arrive late.
    .header('x-accel-buffering', 'no')
    .send(body);
  body.write(`retry: ${retryMs}\n\n`);
  return {
    send(event, data, id) {
      if (closed) return;
      if (body.writableLength > MAX_BUFFERED_BYTES) {
        close();
        return;
      }
      const idLine = id === undefined ? '' : `id: ${id}\n`;
      body.write(`${idLine}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end: close,
    get closed() {
      return closed;
    },
  };
}
