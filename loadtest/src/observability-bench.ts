#!/usr/bin/env node
// `pnpm --filter @mlapi/loadtest run bench:observability`: the cost of tracing and drift.
// One run, one worker; the gateway is restarted per configuration and the configurations are
// interleaved (off, tracing 10% + drift, drift, then again) so load on the machine hits each
// alike. Each cell: fast model, unique rows (no cache hit), closed loop at 64 connections.
// Ports: 35030 (gateway), 35031 (worker health), 35032 (a span sink that answers 200).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const GATEWAY_PORT = 35030;
const WORKER_PORT = 35031;
const SINK_PORT = 35032;
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

/** The OTEL_* variables that send spans to the sink (the worker's are the same). */
function exporting(protocol: 'http/json' | 'http/protobuf' = 'http/json'): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${SINK_PORT}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
  };
}

const TEN_PERCENT = {
  OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
  OTEL_TRACES_SAMPLER_ARG: '0.1',
};

const CONFIGS: Record<string, Record<string, string>> = {
  'both off': { DRIFT_MONITORING: 'false' },
  'tracing 10% + drift': { DRIFT_MONITORING: 'true', ...exporting(), ...TEN_PERCENT },
  'drift alone': { DRIFT_MONITORING: 'true' },
  // The SDK's default protocol: what the export's encoding costs, beside http/json.
  'tracing 10% protobuf + drift': {
    DRIFT_MONITORING: 'true',
    ...exporting('http/protobuf'),
    ...TEN_PERCENT,
  },
  'tracing 100%': { DRIFT_MONITORING: 'false', ...exporting(), OTEL_TRACES_SAMPLER: 'always_on' },
  'tracing sampler off': {
    DRIFT_MONITORING: 'false',
    ...exporting(),
    OTEL_TRACES_SAMPLER: 'always_off',
  },
};
/** The sink's whole program: it answers every export 200 and keeps nothing. */
const SINK_SOURCE = `require('node:http')
  .createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  })
  .listen(${SINK_PORT}, '127.0.0.1');`;

// BENCH_CONFIGS=name,name runs only those (by their names above).
const chosen = process.env.BENCH_CONFIGS?.split(',') ?? Object.keys(CONFIGS);

function start(script: string, env: Record<string, string>): ChildProcess {
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=<dir>" profiles every process the bench starts.
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  return spawn(process.execPath, [...nodeArgs, join(ROOT, script)], {
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

async function waitReady(url: string): Promise<void> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    try {
      const res = await fetch(url);
      if (res.ok && ((await res.json()) as { ready?: boolean }).ready !== false) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} never became ready`);
}

let seq = 0;
function measure(model: string, seconds: number): Promise<number> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${GATEWAY_PORT}`,
        connections: 64,
        duration: seconds,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        requests: [
          {
            path: '/predict',
            setupRequest: (request) => {
              // A row no request has sent before: never a cache hit, always in iris's range.
              const n = seq++;
              const row = [
                4.3 + (n % 3600) / 1000,
                2 + (Math.floor(n / 3600) % 2400) / 1000,
                1.4,
                0.2,
              ];
              request.body = JSON.stringify({ model_name: model, input_data: [row] });
              return request;
            },
          },
        ],
      },
      (err: unknown, result: autocannon.Result) => {
        if (err) reject(err);
        else if (result.non2xx > 0 || result.errors > 0) {
          reject(new Error(`${result.non2xx} non-2xx, ${result.errors} errors`));
        } else resolve(result.requests.total / seconds);
      },
    );
  });
}

async function main(): Promise<void> {
  // The span sink stands for a collector: a process of its own, not a handler on the load
  // generator's event loop, where receiving the spans would slow the generator instead.
  const sink = spawn(process.execPath, ['-e', SINK_SOURCE], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitReady(`http://127.0.0.1:${SINK_PORT}/`);
  // A copy of `fast` under its own name: no other stack's worker answers for it.
  const model = `bench-obs-${process.pid}`;
  const dir = await mkdtemp(join(tmpdir(), 'mlapi-obs-bench-'));
  const manifest = JSON.parse(await readFile(join(ROOT, 'models/fast/model.json'), 'utf8'));
  await writeFile(join(dir, 'model.json'), JSON.stringify({ ...manifest, name: model }));
  await symlink(join(ROOT, 'models/fast/model.onnx'), join(dir, 'model.onnx'));
  // The worker exports too, in every configuration: it makes spans only for a message with a
  // sampled traceparent, which only a tracing gateway sends, so its tracing costs nothing when the
  // gateway's is off and is counted when it is on (the same worker faces every configuration).
  const worker = start('packages/worker/dist/main.js', {
    MODEL_DIR: dir,
    PORT: String(WORKER_PORT),
    HOST: '127.0.0.1',
    ...exporting(),
  });
  const results: Record<string, number[]> = {};
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of chosen) {
        const env = CONFIGS[name];
        if (env === undefined) throw new Error(`no configuration named "${name}"`);
        const gateway = start('packages/api/dist/main.js', {
          PORT: String(GATEWAY_PORT),
          HOST: '127.0.0.1',
          ...env,
        });
        try {
          await waitReady(`http://127.0.0.1:${GATEWAY_PORT}/v2/models/${model}/ready`);
          await measure(model, WARMUP);
          const rps = await measure(model, DURATION);
          results[name] = [...(results[name] ?? []), rps];
          process.stdout.write(`round ${round + 1}  ${name.padEnd(20)} ${rps.toFixed(0)} req/s\n`);
        } finally {
          await stop(gateway);
        }
      }
    }
  } finally {
    await stop(worker);
    await stop(sink);
    await rm(dir, { recursive: true, force: true });
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const base = mean(results['both off'] ?? []);
  process.stdout.write(
    `\nfast uncached, c=64, ${DURATION} s cells, ${ROUNDS} rounds (mean req/s)\n`,
  );
  for (const name of chosen) {
    const m = mean(results[name] ?? []);
    process.stdout.write(
      `${name.padEnd(20)} ${m.toFixed(0).padStart(7)}  ${(m / base).toFixed(3)}x\n`,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`observability bench failed: ${String(err)}\n`);
  process.exitCode = 1;
});
