import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDeps } from '../../src/deps.js';
import { FileJobStore } from '../../src/jobs/file-job-store.js';
import type { JobStore } from '../../src/jobs/job-store.js';
import { RedisJobStore } from '../../src/jobs/redis-job-store.js';
import { createLogger } from '../../src/logger.js';
import { closeRedis, createRedisClient } from '../../src/redis-client.js';
import { ADMIN_KEY, PEPPER } from './identity.js';
import { ROOT, spawnWorker, unique, waitFor } from './stack.js';
import { privateVhost } from './vhost.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';
export type StoreKind = 'redis' | 'file';
export const STORE_KINDS: readonly StoreKind[] = ['redis', 'file'];

/** A folder for an embedded job store, removed at teardown. */
export async function storeDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlapi-jobs-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Env that points a gateway (in process or spawned) at a store of the given kind. */
export function storeEnv(kind: StoreKind, dir: string): Record<string, string> {
  return kind === 'redis' ? { REDIS_URL } : { JOB_STORE_DIR: dir };
}

export interface JobGateway {
  app: FastifyInstance;
  store: JobStore;
  base: string;
}

/**
 * An in-process gateway on `amqpUrl` (a private vhost) whose jobs live in a store of `kind`,
 * listening on 127.0.0.1. Closed at teardown.
 */
export async function startJobGateway(
  t: Test,
  amqpUrl: string,
  kind: StoreKind,
  dir: string,
  env: Record<string, string> = {},
): Promise<JobGateway> {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    // The memory guard would measure tap and every gateway of the file, not this one (stack.ts).
    PRESSURE_MAX_RSS_MB: '0',
    AMQP_URL: amqpUrl,
    ...storeEnv(kind, dir),
    ...env,
  });
  const owned = createDeps(config, createLogger(config), unique('mlapi-jobs-test'));
  let store: JobStore;
  let redis: ReturnType<typeof createRedisClient> | null = null;
  if (kind === 'redis') {
    redis = createRedisClient(REDIS_URL, () => {});
    await redis.connect();
    store = new RedisJobStore(redis, config.jobResultTtlSeconds);
  } else {
    store = new FileJobStore(dir, config.jobResultTtlSeconds);
  }
  // Its own results queue: gateways sharing a vhost must not take each other's results.
  const jobResultsQueue = unique('mlapi.jobs.results');
  const app = await buildApp(config, { ...owned.deps, redis, jobStore: store, jobResultsQueue });
  t.teardown(async () => {
    await app.close();
    await owned.close();
    if (redis !== null) await closeRedis(redis);
  });
  await owned.start();
  await app.ready();
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, store, base };
}

/**
 * A gateway with AUTH=keys (identity.ts's pepper and admin key) whose jobs and keys live in a
 * store of `kind`, and a fast worker beside it on a private vhost.
 */
export async function startKeyedJobGateway(
  t: Test,
  kind: StoreKind,
  env: Record<string, string> = {},
): Promise<JobGateway> {
  const amqpUrl = await privateVhost(t);
  spawnWorker(t, join(ROOT, 'models', 'fast'), { AMQP_URL: amqpUrl });
  const dir = await storeDir(t);
  return startJobGateway(t, amqpUrl, kind, dir, {
    AUTH: 'keys',
    API_KEY_PEPPER: PEPPER,
    ADMIN_API_KEY: ADMIN_KEY,
    STATE_DIR: dir,
    ...env,
  });
}

export interface JobStatusBody {
  job_id: string;
  status: string;
  rows_total: number | null;
  rows_done: number;
  error: { code: string; message: string } | null;
}

export async function jobStatus(
  base: string,
  id: string,
  headers: Record<string, string> = {},
): Promise<JobStatusBody> {
  const res = await fetch(`${base}/v1/jobs/${id}`, { headers });
  if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
  return (await res.json()) as JobStatusBody;
}

/** Waits until the job leaves queued/running; returns its final status. */
export async function settled(
  base: string,
  id: string,
  timeoutMs = 120_000,
  headers: Record<string, string> = {},
) {
  let last: JobStatusBody | undefined;
  await waitFor(
    `job ${id} to finish`,
    async () => {
      last = await jobStatus(base, id, headers).catch(() => undefined);
      return last !== undefined && !['queued', 'running'].includes(last.status);
    },
    timeoutMs,
  );
  return last as JobStatusBody;
}

/** Rows of four iris-like measurements, deterministic from `seed`. */
export function irisRows(count: number, seed = 1): number[][] {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
  const rows: number[][] = [];
  for (let i = 0; i < count; i++) {
    rows.push([
      Math.round((4.3 + next() * 3.6) * 10) / 10,
      Math.round((2 + next() * 2.4) * 10) / 10,
      Math.round((1 + next() * 5.9) * 10) / 10,
      Math.round((0.1 + next() * 2.4) * 10) / 10,
    ]);
  }
  return rows;
}

export function ndjson(rows: readonly (readonly number[])[]): string {
  return `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;
}

/** Reads an event stream until `stop` says so or it ends; returns the events seen. */
export async function readEvents(
  url: string,
  headers: Record<string, string>,
  stop: (events: SseEvent[]) => boolean,
): Promise<SseEvent[]> {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  if (res.status !== 200 || res.body === null) throw new Error(`events: HTTP ${res.status}`);
  const events: SseEvent[] = [];
  let text = '';
  const decoder = new TextDecoder();
  try {
    for await (const piece of res.body) {
      text += decoder.decode(piece as Uint8Array, { stream: true });
      let end = text.indexOf('\n\n');
      while (end >= 0) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        end = text.indexOf('\n\n');
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((l) => !l.startsWith(':') && l.includes(': '))
            .map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]),
        );
        const { id, event, data } = fields;
        if (id === undefined || event === undefined || data === undefined) continue;
        events.push({ id: Number(id), event, data: JSON.parse(data) });
        if (stop(events)) return events;
      }
    }
  } finally {
    abort.abort();
  }
  return events;
}

export interface SseEvent {
  id: number;
  event: string;
  data: { status: string; rows_done: number; rows_total: number | null };
}

export async function submitJson(base: string, body: object, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { job_id: string; code?: string } };
}

export async function submitNdjson(
  base: string,
  query: string,
  rows: readonly (readonly number[])[],
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${base}/v1/jobs?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', ...headers },
    body: ndjson(rows),
  });
  return { status: res.status, body: (await res.json()) as { job_id: string; code?: string } };
}
