#!/usr/bin/env node
// `pnpm screenshots`: builds what is stale, then saves a screenshot of each console page (and of
// /docs) into docs/screenshots/, taken from a real stack with live traffic. See
// packages/console/scripts/screenshots.ts.
import { spawnSync } from 'node:child_process';
import { ensureSetup, ROOT } from './setup.mjs';

try {
  ensureSetup({
    packages: [
      'packages/contracts',
      'packages/rpc',
      'packages/worker',
      'packages/console',
      'packages/api',
    ],
  });
} catch (err) {
  process.stderr.write(`[screenshots] ${err.message}\n`);
  process.exit(1);
}
const result = spawnSync('pnpm', ['--filter', '@mlapi/console', 'run', 'screenshots'], {
  cwd: ROOT,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
