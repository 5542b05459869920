import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import t from 'tap';
import { consoleDir, consoleStatic } from '../src/console/static.js';

t.test('the built console is found through the @mlapi/console dependency', async (t) => {
  const dir = consoleDir();
  t.ok(dir?.endsWith(join('console', 'dist')), `found at ${dir}`);
});

t.test('/console serves the files as built, with the right caching and headers', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mlapi-console-static-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>c</title>');
  await writeFile(join(dir, 'assets', 'app-ABC.js'), 'export {};');
  const app = Fastify();
  await app.register(consoleStatic, { dir });
  t.teardown(() => app.close());

  const bare = await app.inject({ url: '/console?x=1' });
  t.equal(bare.statusCode, 301);
  t.equal(bare.headers.location, '/console/?x=1', 'a folder, so relative links resolve');

  const index = await app.inject({ url: '/console/' });
  t.equal(index.statusCode, 200);
  t.equal(index.headers['cache-control'], 'no-cache', 'a new build is picked up at once');
  t.match(index.headers['content-security-policy'], /script-src 'self'/);
  t.equal(index.body, '<!doctype html><title>c</title>');

  const asset = await app.inject({ url: '/console/assets/app-ABC.js' });
  t.equal(asset.statusCode, 200);
  t.match(asset.headers['cache-control'], /immutable/, 'hashed names are cached for good');
  t.match(asset.headers['content-type'], /javascript/);

  t.equal((await app.inject({ url: '/console/assets/nope.js' })).statusCode, 404);
  t.equal((await app.inject({ url: '/console/assets/..%2F..%2Fpackage.json' })).statusCode, 400);
  // Dot segments in the path itself are resolved by URL parsing before any route sees them.
  const escaped = await app.inject({ url: '/console/%2E%2E/%2E%2E/package.json' });
  t.not(escaped.statusCode, 200, 'nothing outside the folder is served');
});

t.test('a gateway whose console is not built says so with a 503', async (t) => {
  const app = Fastify();
  await app.register(consoleStatic, { dir: null });
  t.teardown(() => app.close());
  const res = await app.inject({ url: '/console/' });
  t.equal(res.statusCode, 503);
  t.equal(res.json().code, 'UNAVAILABLE');
});
