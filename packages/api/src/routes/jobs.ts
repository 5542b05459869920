import { Readable } from 'node:stream';
import { MODEL_NAME_PATTERN, MODEL_VERSION_PATTERN } from '@mlapi/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { jobBodyExamples } from '../docs/examples.js';
import { ApiError } from '../errors.js';
import { sseEvents } from '../jobs/event-stream.js';
import { jobOwner } from '../jobs/job-owner.js';
import type { JobService } from '../jobs/job-service.js';
import { jobView } from '../jobs/job-store.js';
import { ndjsonRows } from '../jobs/ndjson-rows.js';
import { jsonResults, ndjsonResults } from '../jobs/result-stream.js';
import { errorResponses, rowsSchema } from '../schemas.js';
import { recordingContext } from '../tracing/recording-context.js';
import { callerKey } from '../traffic/caller.js';

import '../console/route-scope.js';

export interface JobRoutesOptions {
  jobs: JobService;
  maxRows: number;
  /** How often an event stream asks the store for news. */
  eventPollMs: number;
}

const NDJSON = 'application/x-ndjson';
/** A JSON upload of the largest job: a row of four numbers is rarely over 100 bytes. */
const JSON_BYTES_PER_ROW = 128;

interface JobBody {
  model_name: string;
  model_version?: string;
  input_data: number[][];
  callback_url?: string;
}
interface JobQuery {
  model_name?: string;
  model_version?: string;
  callback_url?: string;
}
interface JobParams {
  id: string;
}

const callbackUrl = { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2048 };
const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
} as const;
const jobStatus = {
  type: 'object',
  properties: {
    job_id: { type: 'string' },
    model_name: { type: 'string' },
    model_version: { type: 'string' },
    status: {
      type: 'string',
      enum: ['queued', 'running', 'succeeded', 'failed', 'canceled', 'expired'],
    },
    rows_total: { type: ['integer', 'null'] },
    rows_done: { type: 'integer' },
    created_at: { type: 'string' },
    started_at: { type: ['string', 'null'] },
    finished_at: { type: ['string', 'null'] },
    error: {
      anyOf: [
        { type: 'null' },
        { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
      ],
    },
  },
} as const;
const accepted = {
  type: 'object',
  properties: {
    job_id: { type: 'string' },
    status: jobStatus.properties.status,
    status_url: { type: 'string' },
  },
} as const;

/** The job API (DESIGN.md, "Jobs"): submit, status, result, cancel and events. */
export async function jobRoutes(app: FastifyInstance, options: JobRoutesOptions): Promise<void> {
  const { jobs } = options;
  // The rows of an NDJSON upload are read as they arrive, never buffered whole.
  app.addContentTypeParser(NDJSON, (_request, payload, done) => done(null, payload));

  app.post<{ Body: JobBody | Readable; Querystring: JobQuery }>(
    '/v1/jobs',
    {
      config: { scope: 'jobs' },
      bodyLimit: options.maxRows * JSON_BYTES_PER_ROW,
      schema: {
        tags: ['jobs'],
        summary: 'Submit a job: rows as JSON, or streamed as NDJSON (one row a line)',
        headers: {
          type: 'object',
          properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 256 } },
        },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            model_name: { type: 'string', pattern: MODEL_NAME_PATTERN },
            model_version: { type: 'string', pattern: MODEL_VERSION_PATTERN },
            callback_url: callbackUrl,
          },
        },
        body: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['model_name', 'input_data'],
                additionalProperties: false,
                'x-examples': jobBodyExamples,
                properties: {
                  model_name: { type: 'string', pattern: MODEL_NAME_PATTERN },
                  model_version: { type: 'string', pattern: MODEL_VERSION_PATTERN },
                  input_data: rowsSchema(options.maxRows),
                  callback_url: callbackUrl,
                },
              },
            },
            [NDJSON]: { schema: { description: 'One JSON array of numbers a line' } },
          },
        },
        response: { 202: accepted, ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const ndjson = body instanceof Readable;
      const query = request.query;
      const source = ndjson ? query : (body as JobBody);
      if (source.model_name === undefined) {
        throw new ApiError('BAD_INPUT', 'model_name is required (a query parameter for NDJSON)');
      }
      const key = request.headers['idempotency-key'];
      const { job, created } = await jobs.submit({
        owner: jobOwner(request),
        model: source.model_name,
        ...(source.model_version !== undefined ? { version: source.model_version } : {}),
        caller: callerKey(request),
        callbackUrl: source.callback_url ?? null,
        idempotencyKey: typeof key === 'string' ? key : null,
        rows: ndjson ? ndjsonRows(body) : (body as JobBody).input_data,
        // A JSON body's rows were counted with the request; an upload's are counted as they come.
        ...(ndjson && request.chargeRows !== null ? { chargeRows: request.chargeRows } : {}),
        requestId: request.id,
        traceContext: recordingContext(request),
      });
      const statusUrl = `/v1/jobs/${job.job_id}`;
      reply.header('location', statusUrl);
      // A replayed Idempotency-Key answers what the first request answered: the same job.
      if (!created) request.log.debug({ job_id: job.job_id }, 'idempotent replay');
      return reply
        .status(202)
        .send({ job_id: job.job_id, status: job.status, status_url: statusUrl });
    },
  );

  app.get<{ Params: JobParams }>(
    '/v1/jobs/:id',
    {
      config: { scope: 'jobs' },
      schema: {
        tags: ['jobs'],
        summary: "A job's status and progress",
        params: idParams,
        response: { 200: jobStatus, ...errorResponses },
      },
    },
    async (request) => jobView(await jobs.get(jobOwner(request), request.params.id)),
  );

  app.delete<{ Params: JobParams }>(
    '/v1/jobs/:id',
    {
      config: { scope: 'jobs' },
      schema: {
        tags: ['jobs'],
        summary: 'Cancel a job; workers skip its remaining rows',
        params: idParams,
        response: { 200: jobStatus, ...errorResponses },
      },
    },
    async (request) => jobView(await jobs.cancel(jobOwner(request), request.params.id)),
  );

  app.get<{ Params: JobParams }>(
    '/v1/jobs/:id/result',
    {
      config: { scope: 'jobs' },
      schema: {
        tags: ['jobs'],
        summary: 'Predictions in input order: JSON, or NDJSON (Accept: application/x-ndjson)',
        params: idParams,
        response: {
          200: {
            description: '{predictions, probabilities, labels}, or one NDJSON line a row',
            type: 'object',
            properties: {
              predictions: { type: 'array', items: { type: 'integer' } },
              probabilities: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
              labels: { type: 'array', items: { type: 'string' } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const job = await jobs.get(jobOwner(request), request.params.id);
      if (job.status !== 'succeeded') {
        throw new ApiError('CONFLICT', `job ${job.job_id} is ${job.status}: no result`);
      }
      const wantsNdjson = (request.headers.accept ?? '').includes(NDJSON);
      const text = wantsNdjson ? ndjsonResults(jobs.store, job) : jsonResults(jobs.store, job);
      reply.type(wantsNdjson ? NDJSON : 'application/json; charset=utf-8');
      return reply.send(Readable.from(text));
    },
  );

  app.get<{ Params: JobParams }>(
    '/v1/jobs/:id/events',
    {
      config: { scope: 'jobs' },
      schema: {
        tags: ['jobs'],
        summary: 'Server-Sent Events of a job; reconnect with Last-Event-ID to resume',
        params: idParams,
        headers: {
          type: 'object',
          properties: { 'last-event-id': { type: 'string', pattern: '^\\d{1,9}$' } },
        },
        response: { 200: { description: 'text/event-stream', type: 'string' }, ...errorResponses },
      },
    },
    async (request, reply) => eventStream(request, reply, jobs, options.eventPollMs),
  );
}

async function eventStream(
  request: FastifyRequest<{ Params: JobParams }>,
  reply: FastifyReply,
  jobs: JobService,
  pollMs: number,
) {
  const job = await jobs.get(jobOwner(request), request.params.id);
  const lastId = request.headers['last-event-id'];
  const after = typeof lastId === 'string' ? Number(lastId) : -1;
  const abort = new AbortController();
  reply.raw.once('close', () => abort.abort());
  reply
    .type('text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache')
    // Tells nginx-style proxies not to buffer the stream.
    .header('x-accel-buffering', 'no');
  const events = sseEvents(jobs.store, job.job_id, after, {
    pollMs,
    heartbeatMs: 15_000,
    signal: abort.signal,
  });
  return reply.send(Readable.from(events));
}
