// Brings a checkout from "Node and npm only" to "built", doing only what is
// missing or stale: pnpm (installed globally with npm), dependencies (when
// node_modules is older than the lock file), the packages whose sources are
// newer than their build, and the models when their files are missing.
// Shared by start.mjs and run-tests.mjs so the README's two commands work on a
// fresh clone. Plain Node ESM with no dependencies.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

// Package folder → the build output whose age says whether it is stale.
const BUILT = {
  'packages/contracts': 'dist/index.js',
  'packages/rpc': 'dist/index.js',
  'packages/worker': 'dist/main.js',
  'packages/api': 'dist/main.js',
  'models/training': 'dist/main.js',
  loadtest: 'dist/src/index.js',
};

const defaultSay = (text) => process.stdout.write(`[setup] ${text}\n`);

export function has(cmd) {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

/** Newest modification time of the files under dir (0 if none). */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * @param {{ say?: (text: string) => void, packages?: string[] }} [options]
 *   packages: the package folders that must be built (default: all of them).
 */
export function ensureSetup(options = {}) {
  const say = options.say ?? defaultSay;
  const run = (cmd, args, what) => {
    say(`${what}: ${cmd} ${args.join(' ')}`);
    const result = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
    if (result.status !== 0) {
      const why = result.error ? result.error.message : `exit ${result.status ?? result.signal}`;
      throw new Error(`${what} failed (${why})`);
    }
  };

  if (!has('pnpm')) run('npm', ['install', '-g', 'pnpm@10'], 'installing pnpm 10');
  const installed = join(ROOT, 'node_modules', '.pnpm', 'lock.yaml');
  if (mtime(installed) === 0 || mtime(join(ROOT, 'pnpm-lock.yaml')) > mtime(installed)) {
    run('pnpm', ['install', '--frozen-lockfile'], 'installing dependencies');
  }

  const wanted = options.packages ?? Object.keys(BUILT);
  const stale = wanted.filter((dir) => {
    const built = mtime(join(ROOT, dir, BUILT[dir]));
    return built === 0 || newest(join(ROOT, dir, 'src')) > built;
  });
  if (stale.length > 0) {
    const filters = stale.flatMap((dir) => ['--filter', `./${dir}`]);
    // contracts and rpc first: the others compile against their declarations.
    run(
      'pnpm',
      ['--workspace-concurrency=1', ...filters, 'run', 'build'],
      `building ${stale.join(', ')}`,
    );
  } else {
    say('packages are built');
  }

  const models = ['fast', 'intermediate', 'slow'];
  if (models.some((m) => !existsSync(join(ROOT, 'models', m, 'model.onnx')))) {
    run('pnpm', ['models:build'], 'building the models');
  }
}
