#!/usr/bin/env node
// Prints the top self-time functions of each .cpuprofile given on the command line:
//   pnpm --filter @mlapi/loadtest run profile:summary bench-results/profiles/*.cpuprofile [--top 15]

import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readProfile, summarizeProfile } from './cpu-profile.js';

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '15' } },
  allowPositionals: true,
});
const top = Number(values.top);
const root = fileURLToPath(new URL('../../../', import.meta.url));
for (const path of positionals) {
  const summary = summarizeProfile(readProfile(path), top, root);
  const busy = summary.totalMs - summary.idleMs;
  process.stdout.write(
    `\n### ${basename(path)}: ${summary.totalMs} ms sampled, ${busy} ms busy (${Math.round((busy / Math.max(1, summary.totalMs)) * 100)}%)\n\n`,
  );
  process.stdout.write('| self ms | % of busy | function |\n|---:|---:|:---|\n');
  for (const e of summary.top) {
    process.stdout.write(`| ${e.selfMs} | ${e.busyPercent} | \`${e.frame}\` |\n`);
  }
  process.stdout.write('\n| self ms | % of busy | owner |\n|---:|---:|:---|\n');
  for (const e of summary.byOwner) {
    process.stdout.write(`| ${e.selfMs} | ${e.busyPercent} | ${e.frame} |\n`);
  }
}
