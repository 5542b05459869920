#!/usr/bin/env node
// Builds, then runs every workspace package's `test` script one package at a
// time (the broker-heavy suites would starve each other on two cores), streams
// their output, and closes with one plain summary line over all packages.
// `pnpm test rpc api` runs only the packages whose folder matches.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureSetup, ROOT as root } from './setup.mjs';

const order = [
  'packages/contracts',
  'packages/rpc',
  'packages/worker',
  'packages/api',
  'packages/console',
  'packages/cli',
  'models/training',
  'k8s-config',
  'loadtest',
];
const only = process.argv.slice(2);
const dirs = only.length > 0 ? order.filter((d) => only.some((o) => d.includes(o))) : order;

function run(dir) {
  return new Promise((resolve) => {
    const child = spawn('pnpm', ['run', 'test'], {
      cwd: join(root, dir),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let tail = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString()).slice(-4096);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, tail }));
  });
}

ensureSetup();

const totals = { pass: 0, fail: 0, skip: 0 };
let failed = false;
for (const dir of dirs) {
  const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
  process.stdout.write(`\n### ${pkg.name} (${dir})\n`);
  const { code, tail } = await run(dir);
  // tap closes with a line like "# { total: 12, pass: 11, fail: 1, skip: 0 }".
  const summary = [
    ...tail.matchAll(/# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?(?:, skip: (\d+))?/g),
  ].at(-1);
  if (summary) {
    totals.pass += Number(summary[2] ?? 0);
    totals.fail += Number(summary[3] ?? 0);
    totals.skip += Number(summary[4] ?? 0);
  }
  if (code !== 0) {
    failed = true;
    if (!summary || Number(summary[3] ?? 0) === 0) totals.fail += 1;
    process.stdout.write(`\n### ${pkg.name}: test run exited with ${code}\n`);
  }
}
process.stdout.write(
  `\ntests: ${totals.pass} passed, ${totals.fail} failed, ${totals.skip} skipped\n`,
);
process.exit(failed ? 1 : 0);
