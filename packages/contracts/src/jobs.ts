import { modelQueue } from './queues.js';

/**
 * The queue that carries one (model, version)'s job chunks, `mlapi.<model>.<version>.jobs`: apart
 * from the interactive queue, so a bulk job never waits in front of an interactive request.
 * Built only from checked parts (modelQueue throws on anything else).
 */
export function jobQueue(name: string, version: string): string {
  return `${modelQueue(name, version)}.jobs`;
}

/** Where workers send chunk outcomes by default; any gateway replica records them. */
export const JOB_RESULTS_QUEUE = 'mlapi.jobs.results';

/** Fanout exchange announcing cancelled (or expired) jobs, so workers skip their chunks. */
export const JOB_CANCEL_EXCHANGE = 'mlapi.jobs.cancel';

/** The AMQP `type` of a chunk message. */
export const JOB_CHUNK_METHOD = 'job-chunk';

/** A slice of a job's rows, as published to the job queue. */
export interface JobChunk {
  readonly job_id: string;
  /** The chunk's position in the job, from 0. */
  readonly chunk: number;
  /** The job-wide index of the chunk's first row, so a failure can name the row. */
  readonly first_row: number;
  /** The durable queue the outcome goes to (the gateways' results queue). */
  readonly reply_to: string;
  readonly inputs: readonly (readonly number[])[];
}

/** A chunk's outcome, as a worker publishes it to {@link JOB_RESULTS_QUEUE}. */
export type JobChunkResult =
  | {
      readonly job_id: string;
      readonly chunk: number;
      readonly ok: true;
      readonly model_version: string;
      readonly predictions: readonly number[];
      readonly probabilities: readonly (readonly number[])[];
    }
  | {
      readonly job_id: string;
      readonly chunk: number;
      readonly ok: false;
      readonly error: { readonly code: string; readonly message: string };
    };

/** A cancel announcement on {@link JOB_CANCEL_EXCHANGE}. */
export interface JobCancel {
  readonly job_id: string;
}

/**
 * How every party declares a job queue (they must agree, or the broker refuses the second
 * declaration): durable, so chunks outlive a broker restart with persistent messages.
 */
export const JOB_QUEUE_OPTIONS = Object.freeze({ durable: true, arguments: {} });
