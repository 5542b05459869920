import type { FastifyInstance } from 'fastify';
import { type EventStream, openEventStream } from '../console/event-stream.js';
import type { ModelStats } from '../console/model-stats.js';
import '../console/route-scope.js';
import { ApiError } from '../errors.js';
import { errorResponses } from '../schemas.js';

/** Open event streams one gateway serves at most; each costs a socket and a write per tick. */
const MAX_STREAMS = 64;

const nullableNumber = { type: ['number', 'null'] } as const;

const point = {
  type: 'object',
  properties: {
    t: { type: 'integer', description: 'start of the interval, epoch ms' },
    requests: { type: 'integer' },
    errors: { type: 'integer', description: 'failures answered with a 5xx' },
    rejected: { type: 'integer', description: 'failures answered with a 4xx' },
    cache_hits: { type: 'integer' },
    p50_ms: nullableNumber,
    p95_ms: nullableNumber,
    p99_ms: nullableNumber,
    workers: { type: 'integer' },
    queue_depth: { type: ['integer', 'null'] },
  },
} as const;

const snapshotSchema = {
  type: 'object',
  properties: {
    instance: { type: 'string', description: 'the gateway replica these figures are from' },
    interval_ms: { type: 'integer' },
    history_ms: { type: 'integer' },
    now: { type: 'integer' },
    series: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          model_name: { type: 'string' },
          model_version: { type: 'string' },
          workers: { type: 'integer' },
          queue_depth: { type: ['integer', 'null'] },
          summary: {
            type: 'object',
            properties: {
              window_ms: { type: 'integer' },
              requests: { type: 'integer' },
              request_rate: { type: 'number' },
              error_rate: nullableNumber,
              cache_hit_ratio: nullableNumber,
              p50_ms: nullableNumber,
              p95_ms: nullableNumber,
              p99_ms: nullableNumber,
            },
          },
          points: { type: 'array', items: point },
        },
      },
    },
  },
} as const;

/**
 * `GET /stats/models` (every model and version with a few minutes of history, as this gateway
 * replica saw it) and `GET /stats/models/events` (the same as Server-Sent Events: one
 * `snapshot`, then a `tick` with the newest point of each series every interval). The console's
 * Models page reads them; they are public like /metrics.
 */
export async function statsRoutes(
  app: FastifyInstance,
  options: { stats: ModelStats },
): Promise<void> {
  const { stats } = options;
  const streams = new Set<EventStream>();
  // An open stream would hold app.close() until the client left.
  app.addHook('preClose', (done) => {
    for (const stream of streams) stream.end();
    done();
  });

  app.get(
    '/stats/models',
    {
      schema: {
        tags: ['console'],
        summary: "Live figures per model and version, from this gateway's memory",
        response: { 200: snapshotSchema, ...errorResponses },
      },
      config: { scope: 'public', rateLimit: false },
    },
    async () => stats.snapshot(),
  );

  app.get(
    '/stats/models/events',
    {
      schema: {
        tags: ['console'],
        summary: 'The same figures as Server-Sent Events: `snapshot`, then a `tick` per interval',
        response: {
          200: {
            description: 'text/event-stream; each `data:` is a JSON document like /stats/models',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...errorResponses,
        },
      },
      config: { scope: 'public', rateLimit: false },
    },
    (request, reply) => {
      if (streams.size >= MAX_STREAMS) {
        throw new ApiError('OVERLOADED', `at most ${MAX_STREAMS} stats streams at once`);
      }
      let unsubscribe = () => {};
      const stream = openEventStream(
        request,
        reply,
        () => {
          unsubscribe();
          streams.delete(stream);
        },
        stats.intervalMs,
      );
      streams.add(stream);
      const first = stats.snapshot();
      stream.send('snapshot', first, String(first.now));
      unsubscribe = stats.subscribe((tick) => stream.send('tick', tick, String(tick.now)));
      return reply;
    },
  );
}
