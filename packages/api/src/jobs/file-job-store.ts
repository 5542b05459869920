import { createHash } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  ChunkAnswers,
  IdempotencyEntry,
  JobError,
  JobEvent,
  JobEventData,
  JobRecord,
  JobStatus,
  JobStore,
  NewJob,
  RecordOutcome,
} from './job-store.js';

interface Loaded {
  record: JobRecord;
  /** Rows of each recorded chunk (its file exists): a redelivery is recognised without disk I/O. */
  done: Map<number, number>;
  events: JobEvent[];
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The embedded job store for a gateway without Redis: one directory per job under `dir`, with
 * `meta.json`, one file per recorded chunk (`chunks/<n>.json`, written before the counters so a
 * crash between the two is repaired on load by counting the files) and `events.ndjson`. Files
 * are replaced by rename, so a kill never leaves half a file. One gateway process per directory:
 * writes are serialised in process. Finished jobs are deleted `ttlSeconds` after they finish.
 */
export class FileJobStore implements JobStore {
  readonly #dir: string;
  readonly #ttlMs: number;
  readonly #jobs = new Map<string, Loaded>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(dir: string, ttlSeconds: number) {
    this.#dir = dir;
    this.#ttlMs = ttlSeconds * 1000;
  }

  async open(): Promise<void> {
    await mkdir(join(this.#dir, 'idem'), { recursive: true });
    for (const entry of await readdir(this.#dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !ID_PATTERN.test(entry.name) || entry.name === 'idem') continue;
      const loaded = await this.#load(entry.name).catch(() => null);
      if (loaded !== null) this.#jobs.set(entry.name, loaded);
    }
  }

  async close(): Promise<void> {
    await this.#queue;
  }

  create(job: NewJob): Promise<void> {
    return this.#serial(async () => {
      await mkdir(join(this.#dir, job.job_id, 'chunks'), { recursive: true });
      const record: JobRecord = {
        ...job,
        status: 'queued',
        rows_total: null,
        chunks_total: null,
        rows_done: 0,
        chunks_done: 0,
        started_at: null,
        finished_at: null,
        error: null,
      };
      const loaded: Loaded = { record, done: new Map(), events: [] };
      this.#jobs.set(job.job_id, loaded);
      await this.#save(loaded, 'status');
    });
  }

  async get(jobId: string): Promise<JobRecord | null> {
    return this.#live(jobId)?.record ?? null;
  }

  seal(jobId: string, rowsTotal: number, chunksTotal: number, now: number) {
    return this.#serial(async (): Promise<RecordOutcome> => {
      const loaded = this.#live(jobId);
      if (loaded === undefined || !active(loaded.record.status)) return 'ignored';
      loaded.record = { ...loaded.record, rows_total: rowsTotal, chunks_total: chunksTotal };
      return this.#advance(loaded, now, 'recorded');
    });
  }

  recordChunk(jobId: string, chunk: number, answers: ChunkAnswers, now: number) {
    return this.#serial(async (): Promise<RecordOutcome> => {
      const loaded = this.#live(jobId);
      if (loaded === undefined || !active(loaded.record.status)) return 'ignored';
      if (loaded.done.has(chunk)) return 'duplicate';
      const rows = answers.predictions.length;
      await atomicWrite(this.#chunkPath(jobId, chunk, rows), JSON.stringify(answers));
      loaded.done.set(chunk, rows);
      const r = loaded.record;
      loaded.record = { ...r, rows_done: r.rows_done + rows, chunks_done: r.chunks_done + 1 };
      if (r.status === 'queued') {
        loaded.record = { ...loaded.record, status: 'running', started_at: now };
        await this.#save(loaded, 'status');
      }
      return this.#advance(loaded, now, 'recorded');
    });
  }

  finish(
    jobId: string,
    to: JobStatus,
    from: readonly JobStatus[],
    error: JobError | null,
    now: number,
  ): Promise<boolean> {
    return this.#serial(async () => {
      const loaded = this.#live(jobId);
      if (loaded === undefined || !from.includes(loaded.record.status)) return false;
      loaded.record = { ...loaded.record, status: to, finished_at: now, error };
      await this.#save(loaded, 'status');
      return true;
    });
  }

  async chunk(jobId: string, chunk: number): Promise<ChunkAnswers | null> {
    const loaded = this.#live(jobId);
    const rows = loaded?.done.get(chunk);
    if (rows === undefined) return null;
    return JSON.parse(await readFile(this.#chunkPath(jobId, chunk, rows), 'utf8'));
  }

  async events(jobId: string, after: number): Promise<JobEvent[]> {
    return this.#live(jobId)?.events.slice(after + 1) ?? [];
  }

  async queuedBefore(cutoff: number): Promise<string[]> {
    const ids: string[] = [];
    for (const [id, { record }] of this.#jobs) {
      if (record.status === 'queued' && record.created_at <= cutoff) ids.push(id);
    }
    return ids;
  }

  claimIdempotency(owner: string, key: string, jobId: string) {
    return this.#serial(async (): Promise<IdempotencyEntry | null> => {
      const path = this.#idemPath(owner, key);
      const held = await readFile(path, 'utf8').then(
        (text) => JSON.parse(text) as IdempotencyEntry & { expires_at: number },
        () => null,
      );
      if (held !== null && held.expires_at > Date.now()) {
        return { job_id: held.job_id, body_hash: held.body_hash };
      }
      const entry = { job_id: jobId, body_hash: null, expires_at: Date.now() + this.#ttlMs };
      await atomicWrite(path, JSON.stringify(entry));
      return null;
    });
  }

  setIdempotencyHash(owner: string, key: string, bodyHash: string): Promise<void> {
    return this.#serial(async () => {
      const path = this.#idemPath(owner, key);
      const held = JSON.parse(await readFile(path, 'utf8'));
      await atomicWrite(path, JSON.stringify({ ...held, body_hash: bodyHash }));
    });
  }

  releaseIdempotency(owner: string, key: string): Promise<void> {
    return this.#serial(() => rm(this.#idemPath(owner, key), { force: true }));
  }

  /** Deletes jobs finished more than the retention ago; the sweeper calls it. */
  prune(now: number): Promise<void> {
    return this.#serial(async () => {
      for (const [id, { record }] of this.#jobs) {
        if (record.finished_at !== null && record.finished_at + this.#ttlMs <= now) {
          this.#jobs.delete(id);
          await rm(join(this.#dir, id), { recursive: true, force: true });
        }
      }
    });
  }

  #live(jobId: string): Loaded | undefined {
    return ID_PATTERN.test(jobId) ? this.#jobs.get(jobId) : undefined;
  }

  /** Succeeds the job once every chunk is in; else records a progress event. */
  async #advance(loaded: Loaded, now: number, otherwise: RecordOutcome): Promise<RecordOutcome> {
    const r = loaded.record;
    if (r.chunks_total !== null && r.chunks_done === r.chunks_total) {
      loaded.record = { ...r, status: 'succeeded', finished_at: now };
      await this.#save(loaded, 'status');
      return 'finished';
    }
    await this.#save(loaded, 'progress');
    return otherwise;
  }

  async #save(loaded: Loaded, event: JobEvent['event']): Promise<void> {
    const r = loaded.record;
    const data: JobEventData = {
      status: r.status,
      rows_done: r.rows_done,
      rows_total: r.rows_total,
      ...(r.error !== null ? { error: r.error } : {}),
    };
    const ev: JobEvent = { id: loaded.events.length, event, data };
    loaded.events.push(ev);
    await atomicWrite(join(this.#dir, r.job_id, 'meta.json'), JSON.stringify(r));
    await appendFile(join(this.#dir, r.job_id, 'events.ndjson'), `${JSON.stringify(ev)}\n`);
  }

  async #load(id: string): Promise<Loaded> {
    const base = join(this.#dir, id);
    const saved = JSON.parse(await readFile(join(base, 'meta.json'), 'utf8')) as JobRecord;
    // The chunk files are the truth: a kill between a chunk's file and meta.json loses no count.
    const done = new Map<number, number>();
    let rows = 0;
    for (const name of await readdir(join(base, 'chunks'))) {
      const match = /^(\d+)\.(\d+)\.json$/.exec(name);
      if (match === null) continue;
      done.set(Number(match[1]), Number(match[2]));
      rows += Number(match[2]);
    }
    const text = await readFile(join(base, 'events.ndjson'), 'utf8').catch(() => '');
    const events = text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as JobEvent);
    let record: JobRecord = { ...saved, rows_done: rows, chunks_done: done.size };
    if (record.status === 'queued' && done.size > 0) record = { ...record, status: 'running' };
    const loaded: Loaded = { record, done, events };
    // Killed after the last chunk's file but before its success was saved: finish it now, as
    // that chunk's redelivery will only be recognised as a duplicate.
    if (active(record.status) && record.chunks_total === done.size) {
      await this.#advance(loaded, record.finished_at ?? Date.now(), 'recorded');
    }
    return loaded;
  }

  #chunkPath(jobId: string, chunk: number, rows: number): string {
    return join(this.#dir, jobId, 'chunks', `${chunk}.${rows}.json`);
  }

  #idemPath(owner: string, key: string): string {
    const digest = createHash('sha256').update(`${owner}\0${key}`).digest('hex');
    return join(this.#dir, 'idem', `${digest}.json`);
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => {});
    return next;
  }
}

function active(status: JobStatus): boolean {
  return status === 'queued' || status === 'running';
}

async function atomicWrite(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}
