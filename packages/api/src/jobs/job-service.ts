import { createHash, randomUUID } from 'node:crypto';
import { type JobChunkResult, jobQueue } from '@mlapi/contracts';
import type { Context } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { ApiError } from '../errors.js';
import type { Predictor } from '../predictor.js';
import { stateWriteError } from '../state/state-errors.js';
import type { JobBroker } from './job-broker.js';
import { type JobRecord, type JobStore, jobView, TERMINAL_STATUSES } from './job-store.js';
import type { WebhookSender } from './webhook.js';

export interface JobServiceOptions {
  store: JobStore;
  broker: JobBroker;
  predictor: Predictor;
  webhook: WebhookSender;
  logger: Logger;
  /** Rows per chunk message. */
  chunkRows: number;
  /** Rows one job may hold (JOB_MAX_ROWS). */
  maxRows: number;
  /** A job not started within this expires (JOB_QUEUE_TTL_SECONDS). */
  queueTtlSeconds: number;
  /** How often queued jobs are checked for expiry. Default: a tenth of the TTL, 1 s to 30 s. */
  sweepMs?: number;
}

export interface SubmitRequest {
  readonly owner: string;
  readonly model: string;
  readonly version?: string;
  /** For sticky version choice (traffic/caller.ts). */
  readonly caller: string;
  readonly callbackUrl: string | null;
  readonly idempotencyKey: string | null;
  /** The rows as received; each is checked here, one at a time, never all held at once. */
  readonly rows: AsyncIterable<unknown> | Iterable<unknown>;
  /**
   * Charges a chunk's rows to the caller's quota before it is published, throwing
   * QUOTA_EXCEEDED (which fails the job) when they would pass it; absent: rows already counted
   * (a JSON body) or no quota.
   */
  readonly chargeRows?: (rows: number) => Promise<void>;
  readonly requestId: string;
  /** The submit request's trace context when it is sampled: its chunks' publishes are traced. */
  readonly traceContext?: Context | null;
}

const ACTIVE = ['queued', 'running'] as const;

/**
 * Jobs end to end on the gateway's side: submit (chunking and publishing as rows arrive),
 * status, cancel, recording chunk results from workers, expiring jobs never started, and the
 * webhook on the one transition that finishes a job.
 */
export class JobService {
  readonly #o: JobServiceOptions;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(options: JobServiceOptions) {
    this.#o = options;
  }

  get store(): JobStore {
    return this.#o.store;
  }

  async start(): Promise<void> {
    await this.#o.store.open();
    await this.#o.broker.start((result) => this.record(result));
    const ttlMs = this.#o.queueTtlSeconds * 1000;
    const every = this.#o.sweepMs ?? Math.min(30_000, Math.max(1000, ttlMs / 10));
    this.#sweeper = setInterval(() => {
      this.sweep(Date.now()).catch((err) => this.#o.logger.warn({ err }, 'job sweep failed'));
    }, every);
    this.#sweeper.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#o.webhook.close();
    await this.#o.broker.close();
    await this.#o.store.close();
  }

  /** Creates (or, for a known Idempotency-Key and body, finds) a job. `created` tells which. */
  async submit(req: SubmitRequest): Promise<{ job: JobRecord; created: boolean }> {
    const { store } = this.#o;
    const spec = this.#o.predictor.choose(req.model, req.version, req.caller).spec;
    const jobId = randomUUID();
    if (req.idempotencyKey !== null) {
      const held = await store
        .claimIdempotency(req.owner, req.idempotencyKey, jobId)
        .catch((err: unknown) => {
          throw stateWriteError(err, 'the job');
        });
      if (held !== null) return { job: await this.#replay(req, held), created: false };
    }
    const now = Date.now();
    // The one write that makes a job: a full state Redis refuses it here, before anything is
    // published, and the caller gets 503 saying why (state-errors.ts).
    await store
      .create({
        job_id: jobId,
        owner: req.owner,
        model_name: spec.name,
        model_version: spec.version,
        labels: spec.labels,
        callback_url: req.callbackUrl,
        created_at: now,
      })
      .catch(async (err: unknown) => {
        if (req.idempotencyKey !== null) {
          await store.releaseIdempotency(req.owner, req.idempotencyKey).catch(() => {});
        }
        throw stateWriteError(err, 'the job');
      });
    const queue = jobQueue(spec.name, spec.version);
    const hash = bodyHasher(req);
    let chunk = 0;
    let rows = 0;
    let pending: number[][] = [];
    const flush = async () => {
      const inputs = pending;
      pending = [];
      await req.chargeRows?.(inputs.length);
      const first = chunk * this.#o.chunkRows;
      const reply = this.#o.broker.resultsQueue;
      await this.#o.broker.publishChunk(
        queue,
        { job_id: jobId, chunk, first_row: first, reply_to: reply, inputs },
        req.requestId,
        req.traceContext ?? null,
      );
      chunk++;
    };
    try {
      for await (const row of req.rows) {
        checkRow(row, rows);
        if (rows >= this.#o.maxRows) {
          throw new ApiError(
            'BAD_INPUT',
            `a job holds at most ${this.#o.maxRows} rows (JOB_MAX_ROWS)`,
          );
        }
        hash.update(`${JSON.stringify(row)}\n`);
        pending.push(row);
        rows++;
        if (pending.length === this.#o.chunkRows) await flush();
      }
      if (pending.length > 0) await flush();
      if (rows === 0) throw new ApiError('BAD_INPUT', 'a job needs at least one row');
    } catch (err) {
      // The upload is unusable: fail the job, stop what was published, free the key for a retry.
      const error = err instanceof ApiError ? err : new ApiError('BAD_INPUT', 'the upload failed');
      await this.#end(jobId, 'failed', { code: error.code, message: error.message });
      if (req.idempotencyKey !== null) {
        await store.releaseIdempotency(req.owner, req.idempotencyKey).catch(() => {});
      }
      throw err;
    }
    if (req.idempotencyKey !== null) {
      await store.setIdempotencyHash(req.owner, req.idempotencyKey, hash.digest('hex'));
    }
    if ((await store.seal(jobId, rows, chunk, Date.now())) === 'finished') await this.#done(jobId);
    return { job: await this.#found(jobId), created: true };
  }

  /** The caller's job; any other caller's, or a missing one, is NOT_FOUND. */
  async get(owner: string, jobId: string): Promise<JobRecord> {
    const job = await this.#o.store.get(jobId);
    if (job === null || job.owner !== owner) {
      throw new ApiError('NOT_FOUND', `no job "${jobId.slice(0, 64)}"`);
    }
    return job;
  }

  async cancel(owner: string, jobId: string): Promise<JobRecord> {
    await this.get(owner, jobId);
    await this.#end(jobId, 'canceled', null);
    return this.#found(jobId);
  }

  /** A worker's outcome for one chunk; a redelivered one changes nothing. */
  async record(result: JobChunkResult): Promise<void> {
    if (result.ok) {
      const answers = { predictions: result.predictions, probabilities: result.probabilities };
      const outcome = await this.#o.store.recordChunk(
        result.job_id,
        result.chunk,
        answers,
        Date.now(),
      );
      if (outcome === 'finished') await this.#done(result.job_id);
      return;
    }
    await this.#end(result.job_id, 'failed', result.error);
  }

  /** Expires jobs still queued after the queue TTL. */
  async sweep(now: number): Promise<void> {
    const cutoff = now - this.#o.queueTtlSeconds * 1000;
    for (const id of await this.#o.store.queuedBefore(cutoff)) {
      const message = `not started within ${this.#o.queueTtlSeconds} s (JOB_QUEUE_TTL_SECONDS)`;
      await this.#end(id, 'expired', { code: 'TIMEOUT', message }, ['queued']);
    }
    await this.#o.store.prune(now);
  }

  /** Moves an active job to a terminal state; the winner stops its chunks and sends the webhook. */
  async #end(
    jobId: string,
    to: 'failed' | 'canceled' | 'expired',
    error: { code: string; message: string } | null,
    from: readonly JobRecord['status'][] = ACTIVE,
  ): Promise<void> {
    if (!(await this.#o.store.finish(jobId, to, from, error, Date.now()))) return;
    await this.#o.broker
      .cancel(jobId)
      .catch((err) => this.#o.logger.warn({ err, job_id: jobId }, 'cancel not announced'));
    await this.#done(jobId);
  }

  async #done(jobId: string): Promise<void> {
    const job = await this.#o.store.get(jobId);
    if (job === null || !TERMINAL_STATUSES.includes(job.status)) return;
    this.#o.logger.info({ job_id: jobId, status: job.status, rows: job.rows_done }, 'job finished');
    if (job.callback_url !== null) this.#o.webhook.send(job.callback_url, jobView(job));
  }

  async #found(jobId: string): Promise<JobRecord> {
    const job = await this.#o.store.get(jobId);
    if (job === null) throw new ApiError('INTERNAL', 'the job vanished from the store');
    return job;
  }

  /** A key seen before: the same body gives its job, another gives 409. */
  async #replay(
    req: SubmitRequest,
    held: { job_id: string; body_hash: string | null },
  ): Promise<JobRecord> {
    if (held.body_hash === null) {
      throw new ApiError('CONFLICT', 'a job with this Idempotency-Key is still being submitted');
    }
    const hash = bodyHasher(req);
    let rows = 0;
    for await (const row of req.rows) {
      checkRow(row, rows++);
      hash.update(`${JSON.stringify(row)}\n`);
    }
    if (hash.digest('hex') !== held.body_hash) {
      throw new ApiError('CONFLICT', 'this Idempotency-Key was used with another body');
    }
    const job = await this.#o.store.get(held.job_id);
    if (job === null || job.owner !== req.owner) {
      throw new ApiError('CONFLICT', 'this Idempotency-Key names a job that is gone');
    }
    return job;
  }
}

/** The body as a hash: the same rows sent as JSON or as NDJSON hash alike. */
function bodyHasher(req: SubmitRequest) {
  const hash = createHash('sha256');
  hash.update(`${req.model}\0${req.version ?? ''}\0${req.callbackUrl ?? ''}\0`);
  return hash;
}

/** A row must be a non-empty array of finite numbers; its width is the worker's to check. */
function checkRow(row: unknown, index: number): asserts row is number[] {
  if (!Array.isArray(row) || row.length === 0 || row.length > 4096) {
    throw new ApiError('BAD_INPUT', `row ${index}: expected an array of 1 to 4096 numbers`);
  }
  for (const value of row) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ApiError('BAD_INPUT', `row ${index}: every value must be a finite number`);
    }
  }
}
