#!/usr/bin/env node
// `pnpm bench`: the local benchmark harness's command line. See the README, "Load testing and benchmarks".

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runBench } from './harness.js';
import { type BenchOptions, normalizeOptions, QUICK_OPTIONS, SAVED_OUT_DIR } from './options.js';

const USAGE = `usage: pnpm bench [options]
  --url <url>          measure a running gateway (or BENCH_URL) instead of starting the local stack
  --duration <s>       measured seconds per cell (default 10)
  --warmup <s>         unmeasured seconds before each cell (default 2)
  --quick              smoke run: 2 s cells, 0.5 s warm-up
  --only <regexp>      only scenarios whose name matches (repeatable), e.g. '^fast-cached$';
                       '^overload$' runs only the overload cell; '^jobs' the two jobs cells,
                       jobs-throughput (a 1,000,000-row job on fast vs 1,024-row /predict
                       at c=4: target >= 1.0x) and jobs-interactive (fast's c=8 p99 beside a
                       1,000,000-row intermediate job: target <= 3x its idle p99)
  --pair-rounds <n>    rounds of each auth pair, off and keys in A-B-B-A order, judged on their mean
                       (default 1)
  --port <n>           the local stack's gateway port (workers' health ports follow it)
  --concurrency <n,..> closed-loop concurrencies of the fast model (default 1,64,256)
  --rate <n>           open-loop rate, requests/s (default 350)
  --out <dir>          output folder, relative to the repository root (default bench-results/local,
                       which git ignores)
  --save               write the committed results in bench-results/ (what BENCHMARKS.md cites)
  --cpu-prof           run the gateway and workers under node --cpu-prof (<out>/*.cpuprofile)
  --redis <url>        give the local gateway REDIS_URL (default: its in-process cache)
  --log-level <level>  the local gateway's LOG_LEVEL: warn (default), info or debug
  --api-key <key>      send it in x-api-key (or API_KEY)`;

function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      concurrency: { type: 'string' },
      rate: { type: 'string' },
      port: { type: 'string' },
      'pair-rounds': { type: 'string' },
      out: { type: 'string' },
      save: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      redis: { type: 'string' },
      'log-level': { type: 'string' },
      'api-key': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return Promise.resolve();
  }
  const partial: Partial<BenchOptions> = values.quick ? { ...QUICK_OPTIONS } : {};
  const url = values.url ?? process.env.BENCH_URL;
  if (url !== undefined && url !== '') partial.url = url;
  if (values.duration !== undefined) partial.durationSeconds = Number(values.duration);
  if (values.warmup !== undefined) partial.warmupSeconds = Number(values.warmup);
  if (values.only !== undefined) partial.only = values.only;
  if (values.concurrency !== undefined) {
    partial.concurrencies = values.concurrency.split(',').map(Number);
  }
  if (values.rate !== undefined) partial.openLoopRate = Number(values.rate);
  if (values['pair-rounds'] !== undefined) partial.pairRounds = Number(values['pair-rounds']);
  if (values.port !== undefined) {
    partial.port = Number(values.port);
    partial.workerBasePort = partial.port + 20;
  }
  if (values.save) partial.outDir = SAVED_OUT_DIR;
  if (values.out !== undefined) partial.outDir = values.out;
  if (values['cpu-prof']) partial.cpuProf = true;
  if (values.redis !== undefined) partial.redisUrl = values.redis;
  if (values['log-level'] !== undefined) {
    partial.gatewayLogLevel = values['log-level'] as BenchOptions['gatewayLogLevel'];
  }
  const options = normalizeOptions(partial);
  const apiKey = values['api-key'] ?? process.env.API_KEY;
  const headers: Record<string, string> = apiKey ? { 'x-api-key': apiKey } : {};
  // dist/src/bench.js → the repository root.
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  return runBench(options, root, headers).then((run) => {
    // A job that answered wrongly (or not at all) is a broken gateway, not a slow one.
    if ((run.jobs?.failures.length ?? 0) > 0) {
      process.stderr.write(`bench: the jobs cells failed: ${run.jobs?.failures.join('; ')}\n`);
      process.exitCode = 1;
    }
  });
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const code = (err as { code?: unknown }).code;
  process.stderr.write(
    `bench failed${typeof code === 'string' ? ` (${code})` : ''}: ${String(err)}\n`,
  );
  process.exitCode = 1;
});
