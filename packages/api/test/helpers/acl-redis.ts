import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { parseAllDocuments } from 'yaml';
import { ROOT, waitFor } from './stack.js';

/** A test-owned user with every right, to look at what the roles did (ACL LOG, KEYS). */
export const OBSERVER = { user: 'lp-observer', password: randomBytes(12).toString('hex') };

/** The two Redis roles: the cache (REDIS_URL) and the state Redis (STATE_REDIS_URL). */
export type RedisRole = 'cache' | 'state';

const MANIFESTS: Record<RedisRole, { file: string; kind: string }> = {
  cache: { file: 'k8s-config/redis/redis.yaml', kind: 'Deployment' },
  state: { file: 'k8s-config/redis/state-redis.yaml', kind: 'StatefulSet' },
};

/** The ACL arguments (`--user …`) of the role's Redis in k8s-config/redis/. */
export async function manifestAclArgs(role: RedisRole = 'cache'): Promise<string[]> {
  const { file, kind } = MANIFESTS[role];
  const docs = parseAllDocuments(await readFile(join(ROOT, file), 'utf8'));
  const redis = docs.map((d) => d.toJS()).find((b) => b?.kind === kind);
  const args: string[] = redis.spec.template.spec.containers[0].args;
  const out: string[] = [];
  let inUser = false;
  for (const arg of args) {
    if (arg.startsWith('--')) inUser = arg === '--user';
    if (inUser) out.push(arg);
  }
  return out;
}

/**
 * A redis-server of the test's own on `port` (from the range this test may use) with the ACL
 * users of the role's manifest, the gateway's password hashed as the Secret holds it, plus
 * OBSERVER. Extra arguments (TLS) come after. Killed at teardown.
 */
export async function aclRedis(
  t: Test,
  port: number,
  gatewayPassword: string,
  extra: string[] = [],
  role: RedisRole = 'cache',
): Promise<void> {
  const sha256 = createHash('sha256').update(gatewayPassword).digest('hex');
  const acl = (await manifestAclArgs(role)).map((a) =>
    a.replace('$(REDIS_GATEWAY_PASSWORD_SHA256)', sha256),
  );
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      ...acl,
      '--user',
      OBSERVER.user,
      'on',
      `>${OBSERVER.password}`,
      '~*',
      '&*',
      '+@all',
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.teardown(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  await waitFor(`redis-server on ${port}`, () => {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
    return output.includes('Ready to accept connections');
  });
}
