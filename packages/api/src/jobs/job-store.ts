/** A job's states (DESIGN.md, "Jobs"). */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled' | 'expired';

export const TERMINAL_STATUSES: readonly JobStatus[] = [
  'succeeded',
  'failed',
  'canceled',
  'expired',
];

export interface JobError {
  readonly code: string;
  readonly message: string;
}

/** What is fixed when a job is created. */
export interface NewJob {
  readonly job_id: string;
  /** The caller that submitted it (the API key id once identity lands); only it sees the job. */
  readonly owner: string;
  readonly model_name: string;
  readonly model_version: string;
  /** The manifest's labels, so results name classes without asking the registry later. */
  readonly labels: readonly string[];
  readonly callback_url: string | null;
  /** Epoch ms. */
  readonly created_at: number;
}

export interface JobRecord extends NewJob {
  readonly status: JobStatus;
  /** null until the whole upload has been received and published. */
  readonly rows_total: number | null;
  readonly chunks_total: number | null;
  readonly rows_done: number;
  readonly chunks_done: number;
  readonly started_at: number | null;
  readonly finished_at: number | null;
  readonly error: JobError | null;
}

/** One chunk's answers, rows in input order. */
export interface ChunkAnswers {
  readonly predictions: readonly number[];
  readonly probabilities: readonly (readonly number[])[];
}

/** One Server-Sent Event; ids count from 0 and never repeat within a job. */
export interface JobEvent {
  readonly id: number;
  readonly event: 'status' | 'progress';
  readonly data: JobEventData;
}

export interface JobEventData {
  readonly status: JobStatus;
  readonly rows_done: number;
  readonly rows_total: number | null;
  readonly error?: JobError | null;
}

/**
 * `recorded`: counted now; `finished`: counted, and it was the last chunk (the job succeeded);
 * `duplicate`: that chunk was already counted (a redelivery), nothing changed; `ignored`: the job
 * is over (canceled, failed, expired) or gone.
 */
export type RecordOutcome = 'recorded' | 'finished' | 'duplicate' | 'ignored';

/** What an Idempotency-Key holds: the job it made and the hash of the body that made it. */
export interface IdempotencyEntry {
  readonly job_id: string;
  /** null while the first upload is still being received. */
  readonly body_hash: string | null;
}

/**
 * Where jobs live: Redis (shared by every replica) or files (one gateway). Every state change is
 * atomic, and each chunk is counted exactly once however often it is delivered.
 */
export interface JobStore {
  /** Opens the store (the file store loads its directory). */
  open(): Promise<void>;
  close(): Promise<void>;
  create(job: NewJob): Promise<void>;
  get(jobId: string): Promise<JobRecord | null>;
  /**
   * The upload is complete: fixes rows_total and chunks_total. Answers 'finished' when every
   * chunk was already recorded (the job succeeded now), else 'recorded' (or 'ignored').
   */
  seal(jobId: string, rowsTotal: number, chunksTotal: number, now: number): Promise<RecordOutcome>;
  /** Records one chunk's answers exactly once, moving queued → running → succeeded. */
  recordChunk(
    jobId: string,
    chunk: number,
    answers: ChunkAnswers,
    now: number,
  ): Promise<RecordOutcome>;
  /**
   * Moves a job that is in one of `from` to the terminal `to`; false when it was not in `from`
   * (so exactly one caller sees true, and only it sends the webhook).
   */
  finish(
    jobId: string,
    to: JobStatus,
    from: readonly JobStatus[],
    error: JobError | null,
    now: number,
  ): Promise<boolean>;
  /** A chunk's answers, or null if it is not recorded (or the job is gone). */
  chunk(jobId: string, chunk: number): Promise<ChunkAnswers | null>;
  /** Events with an id greater than `after` (-1: all), in order. */
  events(jobId: string, after: number): Promise<JobEvent[]>;
  /** Ids of jobs still queued that were created at or before `cutoff` (epoch ms). */
  queuedBefore(cutoff: number): Promise<string[]>;
  /**
   * Claims `key` for `jobId`: null when claimed now, else what the key already holds. The key
   * expires with the job.
   */
  claimIdempotency(owner: string, key: string, jobId: string): Promise<IdempotencyEntry | null>;
  setIdempotencyHash(owner: string, key: string, bodyHash: string): Promise<void>;
  /** Forgets a key whose upload failed, so the caller may retry with it. */
  releaseIdempotency(owner: string, key: string): Promise<void>;
  /** Deletes jobs past their retention (a no-op where the backend expires them itself). */
  prune(now: number): Promise<void>;
}

/** The view clients see in `GET /v1/jobs/{id}` (times as ISO strings). */
export function jobView(job: JobRecord) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    job_id: job.job_id,
    model_name: job.model_name,
    model_version: job.model_version,
    status: job.status,
    rows_total: job.rows_total,
    rows_done: job.rows_done,
    created_at: iso(job.created_at),
    started_at: iso(job.started_at),
    finished_at: iso(job.finished_at),
    error: job.error,
  };
}
