import t, { type Test } from 'tap';
import { createRedisClient } from '../src/redis-client.js';
import { ADMIN_KEY, authEnv, STORES, stateDir } from './helpers/identity.js';
import {
  API_MAIN,
  type Child,
  spawnNode,
  spawnWorker,
  startGateway,
  unique,
  uniqueModel,
  waitFor,
} from './helpers/stack.js';

const ROW = [[5.1, 3.5, 1.4, 0.2]];

interface Proc {
  base: string;
  child: Child;
}

/** A gateway process (dist/main.js) on one of this test's ports, logging at debug. */
async function gatewayProcess(t: Test, port: number, env: Record<string, string>): Promise<Proc> {
  const child = spawnNode(t, API_MAIN, {
    ...env,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
  });
  const base = `http://127.0.0.1:${port}`;
  // Generous: on a machine shared by many test runs a start can be slow.
  await waitFor(
    `the gateway on ${port}`,
    async () => {
      if (child.child.exitCode !== null) throw new Error(`exited: ${child.output()}`);
      try {
        return (await fetch(`${base}/health/ready`)).status === 200;
      } catch {
        return false;
      }
    },
    60_000,
  );
  return { base, child };
}

async function call(
  base: string,
  method: string,
  path: string,
  key: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, text: await res.text() };
}

let nextPort = 33040;

for (const store of STORES) {
  t.test(`${store} store: rotation and revocation across two gateway processes`, async (t) => {
    const { name, dir } = await uniqueModel(t, 'fast');
    spawnWorker(t, dir);
    const env = await authEnv(t, store);
    const a = await gatewayProcess(t, nextPort++, env);
    const b = await gatewayProcess(t, nextPort++, env);
    const predict = (p: Proc, key: string) =>
      call(p.base, 'POST', '/predict', key, { model_name: name, input_data: ROW });
    await waitFor('the model live on b', async () => (await predict(b, ADMIN_KEY)).status === 403);

    const created = await call(a.base, 'POST', '/admin/keys', ADMIN_KEY, {
      name: unique('rotate'),
      models: [name],
    });
    t.equal(created.status, 201);
    const old = JSON.parse(created.text) as { id: string; key: string };
    await waitFor('the new key works on b', async () => (await predict(b, old.key)).status === 200);

    // Rotation: a new key, then the old one revoked.
    const rotated = JSON.parse(
      (await call(a.base, 'POST', '/admin/keys', ADMIN_KEY, { name: 'rotated', models: [name] }))
        .text,
    ) as { id: string; key: string };
    const revoked = await call(a.base, 'DELETE', `/admin/keys/${old.id}`, ADMIN_KEY);
    t.equal(revoked.status, 204);
    const revokedAt = Date.now();
    t.equal((await predict(a, old.key)).status, 401, 'refused at once where it was revoked');
    await waitFor(
      'the old key refused on b',
      async () => (await predict(b, old.key)).status === 401,
    );
    const took = Date.now() - revokedAt;
    t.ok(took <= 2000, `refused on the other replica after ${took} ms (at most 2000)`);
    t.equal((await predict(b, rotated.key)).status, 200, 'the rotated key works on b');

    // The secrets, scanned for: admin answers, the store, the logs.
    const listing = await call(b.base, 'GET', '/admin/keys', ADMIN_KEY);
    const one = await call(b.base, 'GET', `/admin/keys/${rotated.id}`, ADMIN_KEY);
    const usage = await call(b.base, 'GET', '/admin/usage', ADMIN_KEY);
    const secrets = [old, rotated].map((k) => k.key.split('_')[2] as string);
    t.equal(secrets.length, 2);
    for (const secret of secrets) {
      t.equal(secret.length, 64);
      for (const [what, text] of [
        ['GET /admin/keys', listing.text],
        ['GET /admin/keys/{id}', one.text],
        ['GET /admin/usage', usage.text],
        ['gateway a logs', a.child.output()],
        ['gateway b logs', b.child.output()],
      ] as const) {
        t.notOk(text.includes(secret), `the secret is not in ${what}`);
      }
    }
    t.ok(a.child.output().length > 0, 'gateway a logged something (the scan saw text)');
    if (store === 'redis') {
      const redis = createRedisClient('redis://127.0.0.1:6379', () => {});
      await redis.connect();
      t.teardown(() => redis.close());
      const keys = await redis.keys('mlapi:v1:*');
      t.ok(keys.length > 0, `${keys.length} Redis keys scanned`);
      for (const k of keys) {
        const type = await redis.type(k);
        const value =
          type === 'string'
            ? String(await redis.get(k))
            : type === 'set'
              ? (await redis.sMembers(k)).join(' ')
              : type === 'hash'
                ? JSON.stringify(await redis.hGetAll(k))
                : '';
        for (const secret of secrets) {
          if (value.includes(secret) || k.includes(secret)) t.fail(`a secret in Redis at ${k}`);
        }
      }
      t.pass('no secret in Redis');
    } else {
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(`${env.STATE_DIR}/api-keys.json`, 'utf8');
      t.ok(text.includes(rotated.id), 'the store file holds the key');
      for (const secret of secrets) t.notOk(text.includes(secret), 'but not its secret');
    }
    await call(a.base, 'DELETE', `/admin/keys/${rotated.id}`, ADMIN_KEY);
  });
}

t.test('the embedded store survives a restart', async (t) => {
  const dir = await stateDir(t);
  const env = await authEnv(t, 'embedded', { STATE_DIR: dir });
  const first = await startGateway(t, env);
  const created = await first.app.inject({
    method: 'POST',
    url: '/admin/keys',
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
    payload: { name: 'survivor', rows_per_day: 7 },
  });
  const key = created.json() as { id: string; key: string };
  await first.app.close();
  await first.owned.close();

  const second = await startGateway(t, env);
  const usage = await second.app.inject({
    url: '/v1/usage',
    headers: { authorization: `Bearer ${key.key}` },
  });
  t.equal(usage.statusCode, 200, 'the key works after the restart');
  t.match(usage.json(), { key_id: key.id, name: 'survivor', rows_today: { limit: 7 } });
});
