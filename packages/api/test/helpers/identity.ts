import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';

export const REDIS_URL = 'redis://127.0.0.1:6379';
export const PEPPER = 'test-pepper-0123456789abcdef0123456789';
export const ADMIN_KEY = 'test-admin-key-0123456789abcdef01234567';

/** The two key stores every identity test runs against. */
export const STORES = ['redis', 'embedded'] as const;
export type StoreKind = (typeof STORES)[number];

/** A state directory of the test's own, removed at teardown. */
export async function stateDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlapi-identity-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Gateway environment for AUTH=keys on the given store. */
export async function authEnv(
  t: Test,
  store: StoreKind,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  const base: Record<string, string> = {
    AUTH: 'keys',
    API_KEY_PEPPER: PEPPER,
    ADMIN_API_KEY: ADMIN_KEY,
    ...extra,
  };
  if (store === 'redis') return { REDIS_URL, ...base };
  return { ...base, STATE_DIR: extra.STATE_DIR ?? (await stateDir(t)) };
}

export interface CreatedKey {
  id: string;
  key: string;
  [field: string]: unknown;
}

/** Creates a key through the admin API with the bootstrap admin key. */
export async function createKey(
  app: FastifyInstance,
  body: Record<string, unknown>,
): Promise<CreatedKey> {
  const res = await app.inject({
    method: 'POST',
    url: '/admin/keys',
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
    payload: { name: `t-${randomBytes(3).toString('hex')}`, ...body },
  });
  if (res.statusCode !== 201) throw new Error(`create key: ${res.statusCode} ${res.body}`);
  return res.json() as CreatedKey;
}

export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}
