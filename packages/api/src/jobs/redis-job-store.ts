import { createHash } from 'node:crypto';
import type {
  ChunkAnswers,
  IdempotencyEntry,
  JobError,
  JobEvent,
  JobRecord,
  JobStatus,
  JobStore,
  NewJob,
  RecordOutcome,
} from './job-store.js';

/** The part of node-redis the store uses; pass the state Redis (STATE_REDIS_URL). */
export interface JobRedis {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  hGetAll(key: string): Promise<Record<string, string>>;
  hGet(key: string, field: string): Promise<string | null | undefined>;
  lRange(key: string, start: number, stop: number): Promise<string[]>;
  zRangeByScore(key: string, min: number, max: number): Promise<string[]>;
  zRem(key: string, member: string): Promise<number>;
  set(key: string, value: string, options: { NX: true; EX: number }): Promise<string | null>;
  get(key: string): Promise<string | null>;
  del(key: string): Promise<number>;
}

const PREFIX = 'mlapi:job:';
const QUEUED_INDEX = 'mlapi:jobs:queued';

// Every job key shares the `{id}` hash tag, so a script touching several stays on one slot.
const keys = (id: string) => ({
  meta: `${PREFIX}{${id}}:meta`,
  chunks: `${PREFIX}{${id}}:chunks`,
  events: `${PREFIX}{${id}}:events`,
});

// Shared by the scripts: append an event built from the meta hash (ids are list positions).
const PUSH_EVENT = `
local function push(kind)
  local m = redis.call('HMGET', KEYS[1], 'status', 'rows_done', 'rows_total', 'error')
  local data = {status = m[1], rows_done = tonumber(m[2]),
    rows_total = m[3] and tonumber(m[3]) or cjson.null}
  if m[4] then data.error = cjson.decode(m[4]) end
  redis.call('RPUSH', KEYS[3], cjson.encode({event = kind, data = data}))
end
local function touch(ttl)
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[2], ttl)
  redis.call('EXPIRE', KEYS[3], ttl)
end
local function finishIfComplete(now)
  local total = redis.call('HGET', KEYS[1], 'chunks_total')
  if total and tonumber(total) == tonumber(redis.call('HGET', KEYS[1], 'chunks_done')) then
    redis.call('HSET', KEYS[1], 'status', 'succeeded', 'finished_at', now)
    push('status')
    return true
  end
  return false
end
`;

// KEYS: meta, chunks, events, queued index. ARGV: chunk, rows, answers, now, ttl, id.
const RECORD_SCRIPT = `${PUSH_EVENT}
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'queued' and status ~= 'running' then return 'ignored' end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[3]) == 0 then return 'duplicate' end
redis.call('HINCRBY', KEYS[1], 'chunks_done', 1)
redis.call('HINCRBY', KEYS[1], 'rows_done', ARGV[2])
if status == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'running', 'started_at', ARGV[4])
  redis.call('ZREM', KEYS[4], ARGV[6])
  push('status')
end
local finished = finishIfComplete(ARGV[4])
if not finished then push('progress') end
touch(tonumber(ARGV[5]))
if finished then return 'finished' end
return 'recorded'`;

// KEYS: meta, chunks, events. ARGV: rows_total, chunks_total, now, ttl.
const SEAL_SCRIPT = `${PUSH_EVENT}
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'queued' and status ~= 'running' then return 'ignored' end
redis.call('HSET', KEYS[1], 'rows_total', ARGV[1], 'chunks_total', ARGV[2])
touch(tonumber(ARGV[4]))
if finishIfComplete(ARGV[3]) then return 'finished' end
push('progress')
return 'recorded'`;

// KEYS: meta, chunks, events, queued index. ARGV: to, error json or '', now, ttl, id, from...
const FINISH_SCRIPT = `${PUSH_EVENT}
local status = redis.call('HGET', KEYS[1], 'status')
local allowed = false
for i = 6, #ARGV do if ARGV[i] == status then allowed = true end end
if not allowed then
  -- Gone or already past queued: it has no business in the queued index.
  if status ~= 'queued' then redis.call('ZREM', KEYS[4], ARGV[5]) end
  return 0
end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'finished_at', ARGV[3])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[2]) end
redis.call('ZREM', KEYS[4], ARGV[5])
push('status')
touch(tonumber(ARGV[4]))
return 1`;

// KEYS: meta, chunks, events, queued index. ARGV: fields json, ttl, id, created_at.
const CREATE_SCRIPT = `${PUSH_EVENT}
local fields = cjson.decode(ARGV[1])
for k, v in pairs(fields) do redis.call('HSET', KEYS[1], k, v) end
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[3])
push('status')
touch(tonumber(ARGV[2]))
return 1`;

/**
 * Jobs in Redis: a hash per job (state and counters), a hash of recorded chunks (HSETNX makes a
 * redelivered chunk a no-op) and a list of events. Every change is one Lua script, so replicas
 * never see half a transition. Every key expires `ttlSeconds` after the job's last change.
 */
export class RedisJobStore implements JobStore {
  readonly #redis: JobRedis;
  readonly #ttl: number;

  constructor(redis: JobRedis, ttlSeconds: number) {
    this.#redis = redis;
    this.#ttl = ttlSeconds;
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  async create(job: NewJob): Promise<void> {
    const k = keys(job.job_id);
    const fields = {
      status: 'queued',
      rows_done: '0',
      chunks_done: '0',
      spec: JSON.stringify(job),
    };
    await this.#redis.eval(CREATE_SCRIPT, {
      keys: [k.meta, k.chunks, k.events, QUEUED_INDEX],
      arguments: [JSON.stringify(fields), String(this.#ttl), job.job_id, String(job.created_at)],
    });
  }

  async get(jobId: string): Promise<JobRecord | null> {
    const m = await this.#redis.hGetAll(keys(jobId).meta);
    if (m.spec === undefined) return null;
    const num = (v: string | undefined) => (v === undefined ? null : Number(v));
    return {
      ...(JSON.parse(m.spec) as NewJob),
      status: m.status as JobStatus,
      rows_total: num(m.rows_total),
      chunks_total: num(m.chunks_total),
      rows_done: Number(m.rows_done),
      chunks_done: Number(m.chunks_done),
      started_at: num(m.started_at),
      finished_at: num(m.finished_at),
      error: m.error === undefined ? null : (JSON.parse(m.error) as JobError),
    };
  }

  async seal(id: string, rowsTotal: number, chunksTotal: number, now: number) {
    const k = keys(id);
    return (await this.#redis.eval(SEAL_SCRIPT, {
      keys: [k.meta, k.chunks, k.events],
      arguments: [String(rowsTotal), String(chunksTotal), String(now), String(this.#ttl)],
    })) as RecordOutcome;
  }

  async recordChunk(id: string, chunk: number, answers: ChunkAnswers, now: number) {
    const k = keys(id);
    return (await this.#redis.eval(RECORD_SCRIPT, {
      keys: [k.meta, k.chunks, k.events, QUEUED_INDEX],
      arguments: [
        String(chunk),
        String(answers.predictions.length),
        JSON.stringify(answers),
        String(now),
        String(this.#ttl),
        id,
      ],
    })) as RecordOutcome;
  }

  async finish(
    id: string,
    to: JobStatus,
    from: readonly JobStatus[],
    error: JobError | null,
    now: number,
  ): Promise<boolean> {
    const k = keys(id);
    const changed = await this.#redis.eval(FINISH_SCRIPT, {
      keys: [k.meta, k.chunks, k.events, QUEUED_INDEX],
      arguments: [
        to,
        error === null ? '' : JSON.stringify(error),
        String(now),
        String(this.#ttl),
        id,
        ...from,
      ],
    });
    return changed === 1;
  }

  async chunk(id: string, chunk: number): Promise<ChunkAnswers | null> {
    const raw = await this.#redis.hGet(keys(id).chunks, String(chunk));
    return typeof raw === 'string' ? (JSON.parse(raw) as ChunkAnswers) : null;
  }

  async events(id: string, after: number): Promise<JobEvent[]> {
    const raw = await this.#redis.lRange(keys(id).events, after + 1, -1);
    return raw.map((line, i) => ({
      id: after + 1 + i,
      ...(JSON.parse(line) as Omit<JobEvent, 'id'>),
    }));
  }

  async queuedBefore(cutoff: number): Promise<string[]> {
    return this.#redis.zRangeByScore(QUEUED_INDEX, 0, cutoff);
  }

  async claimIdempotency(
    owner: string,
    key: string,
    jobId: string,
  ): Promise<IdempotencyEntry | null> {
    const name = idempotencyKey(owner, key);
    const value = JSON.stringify({ job_id: jobId, body_hash: null });
    const claimed = await this.#redis.set(name, value, { NX: true, EX: this.#ttl });
    if (claimed !== null) return null;
    const held = await this.#redis.get(name);
    // Expired between the two calls: claim again.
    if (held === null) return this.claimIdempotency(owner, key, jobId);
    return JSON.parse(held) as IdempotencyEntry;
  }

  async setIdempotencyHash(owner: string, key: string, bodyHash: string): Promise<void> {
    const name = idempotencyKey(owner, key);
    const held = await this.#redis.get(name);
    if (held === null) return;
    const entry = JSON.parse(held) as IdempotencyEntry;
    await this.#redis.eval("return redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')", {
      keys: [name],
      arguments: [JSON.stringify({ ...entry, body_hash: bodyHash })],
    });
  }

  async releaseIdempotency(owner: string, key: string): Promise<void> {
    await this.#redis.del(idempotencyKey(owner, key));
  }

  /** Redis expires every job key by itself (EXPIRE on each change). */
  async prune(_now: number): Promise<void> {}
}

/** The key is hashed: a caller's Idempotency-Key never lands in Redis as it was sent. */
function idempotencyKey(owner: string, key: string): string {
  const digest = createHash('sha256').update(`${owner}\0${key}`).digest('hex');
  return `mlapi:jobs:idem:${digest}`;
}
