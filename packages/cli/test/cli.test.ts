import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { run } from '../src/cli.js';

const API_MAIN = fileURLToPath(new URL('../../api/dist/main.js', import.meta.url));
const PORT = 33050;
const ADMIN_KEY = 'cli-test-admin-key-0123456789abcdef0123';

async function cli(argv: string[], key = ADMIN_KEY) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, {
    env: { MLAPI_URL: `http://127.0.0.1:${PORT}`, MLAPI_KEY: key },
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    fetch,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

t.test('keys create|list|show|update|revoke and usage against a real gateway', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mlapi-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const gateway = spawn(process.execPath, [API_MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      AUTH: 'keys',
      API_KEY_PEPPER: 'cli-test-pepper-0123456789abcdef01234567',
      ADMIN_API_KEY: ADMIN_KEY,
      STATE_DIR: dir,
      PORT: String(PORT),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  const exited = once(gateway, 'exit');
  t.teardown(async () => {
    if (gateway.exitCode === null) {
      gateway.kill('SIGKILL');
      await exited;
    }
  });
  const until = Date.now() + 60_000;
  while ((await cli(['keys', 'list'])).code !== 0) {
    if (Date.now() > until) throw new Error('the gateway did not start');
    await new Promise((r) => setTimeout(r, 100));
  }

  const created = await cli([
    'keys',
    'create',
    '--name',
    'cli',
    '--models',
    'fast,slow',
    '--rows-per-day',
    '500',
  ]);
  t.equal(created.code, 0, created.err);
  const key = JSON.parse(created.out) as { id: string; key: string; rows_per_day: number };
  t.match(key.key, /^mlk_[a-f0-9]{12}_[a-f0-9]{64}$/, 'the new key is printed');
  t.equal(key.rows_per_day, 500);
  const secret = key.key.split('_')[2] as string;

  const list = await cli(['keys', 'list']);
  t.equal(list.code, 0);
  t.ok(list.out.includes(key.id), 'listed');
  const show = await cli(['keys', 'show', key.id]);
  t.equal(show.code, 0);
  const updated = await cli(['keys', 'update', key.id, '--rows-per-day', 'none', '--disable']);
  t.equal(updated.code, 0);
  t.match(JSON.parse(updated.out), { rows_per_day: null, disabled: true });
  for (const [what, text] of [
    ['list', list.out],
    ['show', show.out],
    ['update', updated.out],
  ]) {
    t.notOk(String(text).includes(secret), `the secret is never shown again (${what})`);
  }

  await cli(['keys', 'update', key.id, '--enable']);
  const own = await cli(['usage'], key.key);
  t.equal(own.code, 0, own.err);
  t.match(JSON.parse(own.out), { key_id: key.id, models: ['fast', 'slow'] });
  const all = await cli(['usage', '--all']);
  t.equal(all.code, 0);
  t.ok(all.out.includes(key.id));

  t.equal((await cli(['keys', 'revoke', key.id])).code, 0);
  t.equal((await cli(['keys', 'show', key.id])).code, 1, 'gone after revoke');
  t.equal((await cli(['usage'], key.key)).code, 1, 'a revoked key is refused');
  t.equal((await cli(['keys', 'create'])).code, 2, 'a missing --name is a usage error');
  t.equal((await cli(['keys', 'create', '--name', 'x', '--scopes', 'root'])).code, 2);
});
