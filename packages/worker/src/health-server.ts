import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '@mlapi/rpc';
import type { Registry } from 'prom-client';

export interface HealthServerOptions {
  registry: Registry;
  /** Loaded and consuming (and not shutting down). */
  ready: () => boolean;
  logger?: Logger | null;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * The worker's probe and metrics port: `/health/live`, `/health/ready` and `/metrics`.
 * Returns an unstarted server; the caller listens and closes it.
 */
export function createHealthServer(options: HealthServerOptions): Server {
  const { registry, ready } = options;
  const log = options.logger ?? null;
  const json = 'application/json';
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, json, '{"error":"method not allowed"}');
      return;
    }
    switch (path) {
      case '/health/live':
        send(res, 200, json, '{"status":"live"}');
        return;
      case '/health/ready':
        if (ready()) send(res, 200, json, '{"status":"ready"}');
        else send(res, 503, json, '{"status":"not ready"}');
        return;
      case '/metrics':
        registry.metrics().then(
          (body) => send(res, 200, registry.contentType, body),
          (err: unknown) => {
            log?.error({ err }, 'metrics collection failed');
            send(res, 500, json, '{"error":"metrics collection failed"}');
          },
        );
        return;
      default:
        send(res, 404, json, '{"error":"not found"}');
    }
  };
  const server = createServer(handler);
  // Probes and scrapes are short; an idle keep-alive socket must not hold shutdown open.
  server.keepAliveTimeout = 5_000;
  return server;
}
