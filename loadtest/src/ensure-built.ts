import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_NAMES } from '../k6/lib/payloads.js';
import { BenchError } from './errors.js';
import type { ProgressLine } from './progress.js';

/** Newest (or oldest) modification time of the files under dir that end with ext; null if none. */
function mtimeRange(dir: string, ext: string): { newest: number; oldest: number } | null {
  let newest = Number.NEGATIVE_INFINITY;
  let oldest = Number.POSITIVE_INFINITY;
  if (!existsSync(dir)) return null;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(ext)) continue;
    const t = statSync(join(entry.parentPath, entry.name)).mtimeMs;
    newest = Math.max(newest, t);
    oldest = Math.min(oldest, t);
  }
  return newest === Number.NEGATIVE_INFINITY ? null : { newest, oldest };
}

const STACK_PACKAGES = ['packages/contracts', 'packages/rpc', 'packages/api', 'packages/worker'];

/**
 * A fresh clone has no dist/ and maybe no models; a working copy may have a dist/ older than
 * its sources. Either way, build what the local stack runs before measuring it.
 */
export function ensureBuilt(root: string, progress: ProgressLine): void {
  if (MODEL_NAMES.some((m) => !existsSync(join(root, 'models', m, 'model.onnx')))) {
    progress.note('models missing: running pnpm models:build');
    pnpm(root, ['models:build']);
  }
  const stale = STACK_PACKAGES.filter((pkg) => {
    const src = mtimeRange(join(root, pkg, 'src'), '.ts');
    const dist = mtimeRange(join(root, pkg, 'dist'), '.js');
    return dist === null || (src !== null && src.newest > dist.oldest);
  });
  if (stale.length === 0) return;
  progress.note(`build output missing or older than its sources (${stale.join(', ')}): building`);
  for (const pkg of stale) pnpm(root, ['--filter', `./${pkg}`, 'run', 'build']);
}

function pnpm(root: string, args: string[]): void {
  const r = spawnSync('pnpm', args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    throw new BenchError(
      'BENCH_STACK_START',
      `pnpm ${args.join(' ')} failed (${r.status ?? r.signal})`,
    );
  }
}
