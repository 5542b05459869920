import { request } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { BenchError } from './errors.js';
import { getJson } from './http-probe.js';

/**
 * The job API as the jobs cells use it (README, "Jobs"): submit an NDJSON upload, follow the
 * job's status, count its result lines, cancel it.
 */
export interface JobStatus {
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled' | 'expired';
  rows_done: number;
  rows_total: number | null;
  error: { code: string; message: string } | null;
}

type Headers = Readonly<Record<string, string>>;

/** How often the cells ask a job's status: a job's time is known to within this. */
export const JOB_POLL_MS = 200;

const ACTIVE: readonly string[] = ['queued', 'running'];
export const isActive = (s: JobStatus) => ACTIVE.includes(s.status);

/** POSTs the rows to /v1/jobs; resolves with the job's id once the gateway answers 202. */
export function submitJob(base: string, headers: Headers, model: string, rows: Buffer) {
  const url = new URL(`/v1/jobs?model_name=${encodeURIComponent(model)}`, base);
  return new Promise<string>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/x-ndjson',
          'content-length': rows.length,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (piece: string) => {
          text += piece;
        });
        res.once('end', () => {
          const id = res.statusCode === 202 ? (JSON.parse(text) as { job_id?: unknown }).job_id : 0;
          if (typeof id === 'string') resolve(id);
          else reject(jobError(`POST ${url.pathname}${url.search}: ${res.statusCode} ${text}`));
        });
      },
    );
    req.once('error', (err) => reject(jobError(`POST ${url.pathname}: ${err.message}`)));
    req.end(rows);
  });
}

/** GET /v1/jobs/{id}; null when the gateway did not answer in time (a poll tries again). */
export async function jobStatus(base: string, headers: Headers, id: string) {
  const reply = await getJson(`${base}/v1/jobs/${id}`, { ...headers });
  if (reply.status === 0) return null;
  if (reply.status !== 200) {
    throw jobError(`GET /v1/jobs/${id}: ${reply.status} ${JSON.stringify(reply.body)}`);
  }
  return reply.body as JobStatus;
}

export interface FollowOptions {
  pollMs: number;
  /** No new rows done for this long fails the follow: the job is stuck. */
  stallMs: number;
  onStatus?: (status: JobStatus) => void;
}

/** Polls the job's status until it ends; resolves with the last status. */
export async function followJob(base: string, headers: Headers, id: string, follow: FollowOptions) {
  let rowsDone = -1;
  let movedAt = Date.now();
  for (;;) {
    const status = await jobStatus(base, headers, id);
    if (status !== null) {
      follow.onStatus?.(status);
      if (!isActive(status)) return status;
      if (status.rows_done !== rowsDone) {
        rowsDone = status.rows_done;
        movedAt = Date.now();
      }
    }
    if (Date.now() - movedAt > follow.stallMs) {
      throw jobError(
        `job ${id} made no progress for ${follow.stallMs / 1000} s at ${rowsDone} rows done ` +
          '(is another gateway on this broker consuming mlapi.jobs.results?)',
      );
    }
    await delay(follow.pollMs);
  }
}

/** Lines of the job's NDJSON result, counted as they stream: one per row. */
export async function countResultRows(base: string, headers: Headers, id: string) {
  const res = await fetch(`${base}/v1/jobs/${id}/result`, {
    headers: { ...headers, accept: 'application/x-ndjson' },
  });
  if (res.status !== 200 || res.body === null) {
    throw jobError(`GET /v1/jobs/${id}/result: ${res.status} ${await res.text()}`);
  }
  let lines = 0;
  let last = 0x0a;
  for await (const piece of res.body) {
    for (const byte of piece) if (byte === 0x0a) lines++;
    last = piece.at(-1) ?? last;
  }
  // A last line without its newline is a row too.
  return last === 0x0a ? lines : lines + 1;
}

/** DELETE /v1/jobs/{id}: the job stops; its remaining chunks are skipped. */
export async function cancelJob(base: string, headers: Headers, id: string) {
  const res = await fetch(`${base}/v1/jobs/${id}`, { method: 'DELETE', headers: { ...headers } });
  const body = (await res.json()) as JobStatus;
  if (res.status !== 200) throw jobError(`DELETE /v1/jobs/${id}: ${res.status}`);
  return body;
}

const jobError = (message: string) => new BenchError('BENCH_JOB', message);
