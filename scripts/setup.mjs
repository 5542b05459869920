// Brings a checkout from "Node and npm only" to "built", doing only what is
// missing or stale: pnpm (see ensurePnpm), dependencies (when
// node_modules is older than the lock file), the packages whose sources are
// newer than their build, and the models when their files are missing.
// Shared by start.mjs and run-tests.mjs so the README's two commands work on a
// fresh clone. Plain Node ESM with no dependencies.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where pnpm goes when npm may not install globally (git-ignored). */
export const TOOLS_BIN = join(ROOT, '.tools', 'bin');
const PNPM_SPEC = 'pnpm@10';

// Package folder → the build output whose age says whether it is stale.
const BUILT = {
  'packages/contracts': 'dist/index.js',
  'packages/rpc': 'dist/index.js',
  'packages/worker': 'dist/main.js',
  'packages/console': 'dist/index.html',
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

function writable(dir) {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Puts a folder first on this process's PATH, which every child inherits. */
function prependPath(dir) {
  process.env.PATH = `${dir}${delimiter}${process.env.PATH ?? ''}`;
}

/**
 * Makes `pnpm` runnable, by this process and its children, and returns the folder that was put
 * first on PATH for it (null when pnpm was already on PATH). In order: pnpm on PATH; the
 * project-local one an earlier run installed; a global `npm install -g` when npm's global folders
 * are writable (root, or a user-owned Node); otherwise a project-local install into .tools/,
 * which needs no root (a global install as a normal user fails with EACCES).
 * @param {(text: string) => void} say
 * @param {(cmd: string, args: string[], what: string) => void} run
 */
function ensurePnpm(say, run) {
  if (has('pnpm')) return null;
  if (existsSync(join(TOOLS_BIN, 'pnpm'))) {
    prependPath(TOOLS_BIN);
    if (has('pnpm')) return TOOLS_BIN;
  }
  const npmFlags = ['--no-fund', '--no-audit', '--no-update-notifier'];
  const prefix = spawnSync('npm', ['prefix', '-g'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const globalBin = process.platform === 'win32' ? prefix : join(prefix, 'bin');
  const globalLib = process.platform === 'win32' ? prefix : join(prefix, 'lib');
  if (prefix !== '' && writable(globalBin) && writable(globalLib)) {
    try {
      run('npm', ['install', '-g', ...npmFlags, PNPM_SPEC], 'installing pnpm 10 globally');
      if (has('pnpm')) return null;
      prependPath(globalBin);
      if (has('pnpm')) return globalBin;
    } catch (err) {
      say(`${err.message}; trying a project-local install`);
    }
  }
  say(
    `npm's global folder (${prefix || 'unknown'}) is not writable by this user: installing ` +
      `pnpm 10 into ${TOOLS_BIN} instead (no root needed; .tools/ is git-ignored)`,
  );
  const tools = join(ROOT, '.tools');
  run('npm', ['install', '-g', '--prefix', tools, ...npmFlags, PNPM_SPEC], 'installing pnpm 10');
  prependPath(TOOLS_BIN);
  if (!has('pnpm')) throw new Error(`pnpm was installed into ${tools} but does not run`);
  return TOOLS_BIN;
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

  ensurePnpm(say, run);
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

// `node scripts/setup.mjs --pnpm-path` (.ci/run): make pnpm available as above and print the
// folder to put first on PATH (nothing when pnpm is already on it). Progress goes to stderr.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--pnpm-path') {
  const say = (text) => process.stderr.write(`[setup] ${text}\n`);
  const run = (cmd, args, what) => {
    say(`${what}: ${cmd} ${args.join(' ')}`);
    const result = spawnSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 2, 2] });
    if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status})`);
  };
  try {
    const dir = ensurePnpm(say, run);
    if (dir !== null) process.stdout.write(`${dir}\n`);
  } catch (err) {
    say(err.message);
    process.exit(1);
  }
}
