// Brings a checkout from "Node and npm only" to "built": pnpm (installed
// globally when missing), dependencies (when node_modules is missing or older
// than the lock file) and a build. Shared by start.mjs and run-tests.mjs so the
// README's two commands work on a fresh clone.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;

function run(cmd, args, what) {
  process.stdout.write(`setup: ${what}\n`);
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    throw new Error(`setup: '${[cmd, ...args].join(' ')}' failed (exit ${result.status ?? result.signal})`);
  }
}

function hasPnpm() {
  return spawnSync('pnpm', ['--version'], { stdio: 'ignore' }).status === 0;
}

function installStale() {
  const marker = join(root, 'node_modules', '.modules.yaml');
  if (!existsSync(marker)) return true;
  return statSync(join(root, 'pnpm-lock.yaml')).mtimeMs > statSync(marker).mtimeMs;
}

/** @param {{ build?: boolean }} [options] */
export function ensureSetup(options = {}) {
  if (!hasPnpm()) run('npm', ['install', '-g', 'pnpm@10'], 'installing pnpm 10 (not found on PATH)');
  if (installStale()) run('pnpm', ['install', '--frozen-lockfile'], 'installing dependencies');
  if (options.build !== false) run('pnpm', ['build'], 'building every package');
}
