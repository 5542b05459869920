import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { AuthPair } from './auth-cells.js';
import type { CellSpec } from './cell.js';
import { renderChart } from './chart.js';
import { ensureBuilt } from './ensure-built.js';
import { formatJobs, type JobsResult } from './job-figures.js';
import { runJobs } from './jobs-bench.js';
import { LocalStack } from './local-stack.js';
import { type MachineInfo, machineInfo } from './machine.js';
import type { BenchOptions } from './options.js';
import { formatOverload, runOverload } from './overload.js';
import { CpuMeter, pidsByComm } from './process-cpu.js';
import { ProgressLine } from './progress.js';
import { addWorkerSpeedup, formatTable, type ResultRow, toRow } from './results.js';
import { runCellInChild } from './run-cell.js';
import { planCells } from './scenarios.js';
import { awaitReady, fetchShapes, setFastPolicy, warnForeignConsumers } from './stack-probes.js';
import { checkTargets, formatCheck, missNote, type TargetCheck } from './targets.js';

export interface BenchRun {
  rows: ResultRow[];
  targets: TargetCheck[];
  files: { json: string; meta: string; chart: string };
  /** The jobs cells' figures; null when none ran. Any failure in them fails the run. */
  jobs: JobsResult | null;
}

const REQUEST_TIMEOUT_SECONDS = 10;
/** The overload cell's name for --only; it runs after the matrix (overload.ts). */
const OVERLOAD_SCENARIO = 'overload';
/** The jobs cells' names for --only ('^jobs' selects both); they run after overload (jobs-bench.ts). */
const JOBS_SCENARIOS = { throughput: 'jobs-throughput', interactive: 'jobs-interactive' } as const;
/** Rows of each job, as the issue has them. */
const JOB_ROWS = 1_000_000;

function wants(options: Readonly<BenchOptions>, scenario: string): boolean {
  return options.only.length === 0 || options.only.some((s) => new RegExp(s).test(scenario));
}
const SALT_CELL_STRIDE = 1e9;

/**
 * Runs the whole matrix: starts the local stack (or uses options.url), runs each cell in its
 * own load-generator process, and writes http.json, http.meta.json and http.svg after every
 * cell, so an interrupted run keeps what it measured.
 */
export async function runBench(
  options: Readonly<BenchOptions>,
  root: string,
  headers: Readonly<Record<string, string>> = {},
  progress = new ProgressLine(),
): Promise<BenchRun> {
  const outDir = isAbsolute(options.outDir) ? options.outDir : join(root, options.outDir);
  mkdirSync(outDir, { recursive: true });
  const files = {
    json: join(outDir, 'http.json'),
    meta: join(outDir, 'http.meta.json'),
    chart: join(outDir, 'http.svg'),
  };

  let stack: LocalStack | null = null;
  let authPair: AuthPair | null = null;
  const stop = () => {
    progress.note('interrupted: stopping the local stack');
    void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Once, before any load: rabbitmqctl starts an Erlang VM, which is no thing to do mid-run.
  const machine = machineInfo();
  try {
    let url = options.url;
    if (url === null) {
      ensureBuilt(root, progress);
      stack = new LocalStack({
        root,
        port: options.port,
        workerBasePort: options.workerBasePort,
        redisUrl: options.redisUrl,
        gatewayLogLevel: options.gatewayLogLevel,
        // Beside http.json, where the root .gitignore already keeps *.cpuprofile out of git.
        cpuProfDir: options.cpuProf ? outDir : null,
        logDir: join(outDir, 'logs'),
        readyTimeoutMs: 60_000,
        stopTimeoutMs: 15_000,
      });
      progress.note(`starting the local stack (gateway :${options.port}, one worker per model)`);
      await stack.start();
      url = stack.url;
      await warnForeignConsumers(progress, { fast: 1, intermediate: 1, slow: 1 });
    }
    const shapes = await fetchShapes(url, headers);
    const cells = planCells(options, stack !== null);
    if (stack !== null) authPair = new AuthPair(stack, options.redisUrl);
    const started = new Date().toISOString();
    const rows: ResultRow[] = [];
    let slowWorkers = 1;
    let fastV2 = false;
    // Distinct per run and per cell, so no cell's "unique" inputs were cached by another.
    const runSalt = (Date.now() % 50) * 20;

    for (const [i, planned] of cells.entries()) {
      if (planned.slowWorkers === 2 && slowWorkers === 1 && stack !== null) {
        progress.note('starting a second slow worker');
        await stack.addWorker('slow');
        slowWorkers = 2;
        await warnForeignConsumers(progress, { slow: 2 });
      }
      if (planned.fastPolicy !== undefined && stack !== null && url !== null) {
        if (!fastV2) {
          progress.note('starting a worker for fast version 2 (models/v2/fast)');
          await stack.addWorker('fast-v2', join(root, 'models', 'v2', 'fast'));
          await awaitReady(`${url}/v2/models/fast/versions/2/ready`, headers);
          fastV2 = true;
        }
        await setFastPolicy(url, headers, planned.fastPolicy);
      }
      let cellHeaders = headers;
      if (planned.auth !== undefined && authPair !== null) {
        progress.note(`gateway with AUTH=${planned.auth} on Redis for ${planned.scenario}`);
        cellHeaders = await authPair.use(planned.auth);
      } else if (authPair?.active) {
        progress.note('the usual gateway again');
        await authPair.restore();
      }
      const cell: CellSpec = {
        scenario: planned.scenario,
        mode: planned.mode,
        connections: planned.connections,
        rate: planned.rate,
        durationSeconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
        url,
        headers: cellHeaders,
        workload: planned.workload,
        shapes,
        salt: ((runSalt + i) % 1000) * SALT_CELL_STRIDE,
        timeoutSeconds: REQUEST_TIMEOUT_SECONDS,
      };
      const at = planned.mode === 'open' ? `${planned.rate}/s` : `c=${planned.connections}`;
      progress.begin(i + 1, cells.length, `${planned.scenario} ${at}`);
      const meter = new CpuMeter({
        ...(stack?.pids() ?? {}),
        rabbitmq: pidsByComm('beam.smp'),
        redis: options.redisUrl === null ? [] : pidsByComm('redis-server'),
      });
      meter.start();
      const result = await runCellInChild(cell, (p) => {
        // Restart the meter as the measured phase begins, so warm-up CPU is not counted.
        if (p.phase === 'measure' && p.completed === 0 && p.elapsedMs === 0) meter.start();
        progress.update(p, p.phase === 'warmup' ? options.warmupSeconds : options.durationSeconds);
      });
      const row = toRow(result);
      row.cpu_percent = { ...meter.stop(), ...row.cpu_percent };
      row.cpu_us_per_request = perRequest(row.cpu_percent, row.rps);
      row.loadavg_1m = Math.round((loadavg()[0] ?? 0) * 100) / 100;
      rows.push(row);
      addWorkerSpeedup(rows);
      const cpu = Object.entries(row.cpu_percent ?? {})
        .map(([name, pct]) => `${name} ${pct}%`)
        .join(', ');
      progress.end(
        `${row.rps.toFixed(0)} req/s  p50 ${row.p50_ms} ms  p95 ${row.p95_ms} ms  p99 ${row.p99_ms} ms  errors ${row.errors}  [cpu: ${cpu}]`,
      );
      writeResults(files, rows, options, started, machine);
    }
    await authPair?.restore();
    if (wants(options, OVERLOAD_SCENARIO)) {
      const overload = await runOverload(
        {
          url,
          headers,
          durationSeconds: options.durationSeconds,
          gatewayPid: stack?.pids().gateway?.[0] ?? null,
          salt: runSalt * SALT_CELL_STRIDE,
        },
        progress,
      );
      const file = join(outDir, 'overload.json');
      writeFileSync(file, `${JSON.stringify(overload, null, 2)}\n`);
      progress.note(`${formatOverload(overload)}\nwrote ${file}`);
    }
    let jobs: JobsResult | null = null;
    const throughput = wants(options, JOBS_SCENARIOS.throughput);
    const interactive = wants(options, JOBS_SCENARIOS.interactive);
    if (throughput || interactive) {
      jobs = await runJobs(
        {
          url,
          headers,
          durationSeconds: options.durationSeconds,
          rows: JOB_ROWS,
          salt: runSalt * SALT_CELL_STRIDE,
          root,
          throughput,
          interactive,
        },
        progress,
      );
      const file = join(outDir, 'jobs.json');
      writeFileSync(file, `${JSON.stringify(jobs, null, 2)}\n`);
      progress.note(`${formatJobs(jobs)}\nwrote ${file}`);
    }
    if (rows.length === 0) return { rows, targets: [], files, jobs };
    const targets = checkTargets(rows, options.openLoopRate);
    progress.note(`\n${formatTable(rows)}\n`);
    for (const t of targets) progress.note(formatCheck(t, machine.cpus));
    if (targets.some((t) => t.met === false)) {
      progress.note(`\n${missNote(roundedLoad(), machine.cpus)}`);
    }
    progress.note(`\nwrote ${files.json}, ${files.meta} and ${files.chart}`);
    return { rows, targets, files, jobs };
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    // A failed run still deletes its key from the shared Redis.
    await authPair?.deleteKey().catch((err: unknown) => progress.note(`${String(err)}`));
    if (stack !== null) {
      progress.note('stopping the local stack');
      await stack.stop();
    }
  }
}

const roundedLoad = () => loadavg().map((x) => Math.round(x * 100) / 100);
function writeResults(
  files: BenchRun['files'],
  rows: ResultRow[],
  options: Readonly<BenchOptions>,
  started: string,
  machine: MachineInfo,
): void {
  writeFileSync(files.json, `${JSON.stringify(rows, null, 2)}\n`);
  const meta = {
    started,
    finished: new Date().toISOString(),
    machine,
    loadavgAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    options,
    targets: checkTargets(rows, options.openLoopRate),
  };
  writeFileSync(files.meta, `${JSON.stringify(meta, null, 2)}\n`);
  writeFileSync(
    files.chart,
    renderChart(rows, `mlapi: latency vs throughput (${options.durationSeconds} s cells)`),
  );
}

/** CPU microseconds each process spent per successful request. */
function perRequest(cpuPercent: Record<string, number>, rps: number): Record<string, number> {
  const out: Record<string, number> = {};
  if (rps <= 0) return out;
  for (const [name, pct] of Object.entries(cpuPercent)) {
    out[name] = Math.round(((pct / 100) * 1e6) / rps);
  }
  return out;
}
