import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { LatencyRecorder } from './latency-recorder.js';
import type { ProgressLine } from './progress.js';
import { closedLoop, openLoop, post } from './request-loops.js';

/**
 * The overload cell (issue 9): slow's capacity with 1,024-row requests at low concurrency, then
 * ten times that offered on an open loop, while fast runs at c=8 beside it. Each figure is
 * compared with what it is measured against in the same run: goodput with the capacity just
 * measured, fast's p99 under the flood with its idle p99 just before.
 */
export interface OverloadOptions {
  url: string;
  headers: Readonly<Record<string, string>>;
  durationSeconds: number;
  /** The gateway's pid, for its peak resident set (VmHWM); null: not measured. */
  gatewayPid: number | null;
  /** Unique inputs per run, so nothing is answered from the cache. */
  salt: number;
}

export interface OverloadResult {
  capacity_rps: number;
  offered_rps: number;
  goodput_rps: number;
  goodput_vs_capacity: number;
  slow_statuses: Record<string, number>;
  shed_p99_ms: number;
  admitted_p99_ms: number;
  deadline_ms: number;
  gateway_rss_mb_before: number | null;
  gateway_rss_mb_peak: number | null;
  fast_idle_p99_ms: number;
  fast_loaded_p99_ms: number;
  fast_p99_ratio: number;
  /** At the end of the flood: on a shared machine the figures mean little without it. */
  loadavg_1m: number;
  cpus: number;
}

const ROWS = 1024;
const CAPACITY_CONCURRENCY = 2;
const OFFER_FACTOR = 10;
const FAST_CONCURRENCY = 8;
/** The gateway's default deadline; the admitted requests must finish within it. */
const DEADLINE_MS = 10_000;
/** Past the deadline, so a reply the gateway owes is waited for. */
const TIMEOUT_MS = DEADLINE_MS + 5000;

let sequence = 0;
/** A body no other request sends (the first value varies), so each is a real model call. */
function slowBody(salt: number): string {
  const rest = ',[5.1,3.5,1.4,0.2]'.repeat(ROWS - 1);
  return `{"model_name":"slow","input_data":[[${4 + (salt + ++sequence) / 1e7},3.5,1.4,0.2]${rest}]}`;
}
function fastBody(salt: number): string {
  return `{"model_name":"fast","input_data":[[${4 + (salt + ++sequence) / 1e7},3.5,1.4,0.2]]}`;
}

/** Resident set (VmRSS) or its peak so far (VmHWM) of a process, in MB; null if unreadable. */
function rssMb(pid: number | null, field: 'VmRSS' | 'VmHWM'): number | null {
  if (pid === null) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    return kb === undefined ? null : Math.round(Number(kb) / 1024);
  } catch {
    return null;
  }
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

export async function runOverload(
  options: OverloadOptions,
  progress: ProgressLine,
): Promise<OverloadResult> {
  const url = new URL('/predict', options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const seconds = options.durationSeconds;
  const sendSlow = () => post(agent, url, options.headers, slowBody(options.salt), TIMEOUT_MS);
  const sendFast = () => post(agent, url, options.headers, fastBody(options.salt), TIMEOUT_MS);
  try {
    progress.note(
      `overload: slow's capacity, ${ROWS}-row requests at c=${CAPACITY_CONCURRENCY}, ${seconds} s`,
    );
    let served = 0;
    await closedLoop(CAPACITY_CONCURRENCY, performance.now() + seconds * 1000, sendSlow, (r) => {
      if (r.status === 200) served++;
    });
    const capacity = served / seconds;
    if (capacity === 0) throw new Error('overload: slow served nothing at low concurrency');

    progress.note(`overload: fast idle at c=${FAST_CONCURRENCY}, ${seconds} s`);
    const fastIdle = new LatencyRecorder();
    await closedLoop(FAST_CONCURRENCY, performance.now() + seconds * 1000, sendFast, (r) => {
      if (r.status === 200) fastIdle.record(r.ms);
    });

    const offered = capacity * OFFER_FACTOR;
    const rssBefore = rssMb(options.gatewayPid, 'VmRSS');
    progress.note(
      `overload: ${round(offered)} req/s offered to slow (10x), fast at c=8, ${seconds} s`,
    );
    const statuses: Record<string, number> = {};
    const admitted = new LatencyRecorder();
    const shed = new LatencyRecorder();
    const fastLoaded = new LatencyRecorder();
    const until = performance.now() + seconds * 1000;
    let peak = rssBefore ?? 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb(options.gatewayPid, 'VmRSS') ?? 0);
    }, 100);
    let good = 0;
    await Promise.all([
      openLoop(offered, until, sendSlow, (r) => {
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (r.status === 200) {
          good++;
          admitted.record(r.ms);
        } else if (r.status === 503) shed.record(r.ms);
      }),
      closedLoop(FAST_CONCURRENCY, until, sendFast, (r) => {
        if (r.status === 200) fastLoaded.record(r.ms);
      }),
    ]);
    clearInterval(sampler);
    // Replies still arriving after the window count: every request sent was answered.
    const goodput = good / seconds;
    const idleP99 = fastIdle.summary().p99;
    const loadedP99 = fastLoaded.summary().p99;
    return {
      capacity_rps: round(capacity, 2),
      offered_rps: round(offered, 2),
      goodput_rps: round(goodput, 2),
      goodput_vs_capacity: round(goodput / capacity, 2),
      slow_statuses: statuses,
      shed_p99_ms: round(shed.summary().p99),
      admitted_p99_ms: round(admitted.summary().p99),
      deadline_ms: DEADLINE_MS,
      gateway_rss_mb_before: rssBefore,
      gateway_rss_mb_peak:
        options.gatewayPid === null
          ? null
          : Math.max(peak, rssMb(options.gatewayPid, 'VmRSS') ?? 0),
      fast_idle_p99_ms: round(idleP99),
      fast_loaded_p99_ms: round(loadedP99),
      fast_p99_ratio: idleP99 > 0 ? round(loadedP99 / idleP99, 2) : 0,
      loadavg_1m: round(loadavg()[0] ?? 0, 2),
      cpus: cpus().length,
    };
  } finally {
    agent.destroy();
  }
}

/** The result against the targets, one line each. */
export function formatOverload(r: OverloadResult): string {
  const check = (ok: boolean) => (ok ? 'met' : 'MISSED');
  return [
    `overload (load average ${r.loadavg_1m} on ${r.cpus} cores): slow capacity ${r.capacity_rps} req/s (1024 rows, c=2); offered ${r.offered_rps} req/s; statuses ${JSON.stringify(r.slow_statuses)}`,
    `  2xx goodput ${r.goodput_rps} req/s = ${Math.round(r.goodput_vs_capacity * 100)}% of capacity (target >= 80%: ${check(r.goodput_vs_capacity >= 0.8)})`,
    `  503 p99 ${r.shed_p99_ms} ms (target <= 20 ms: ${check(r.shed_p99_ms <= 20)})`,
    `  admitted p99 ${r.admitted_p99_ms} ms vs deadline ${r.deadline_ms} ms (${check(r.admitted_p99_ms <= r.deadline_ms)})`,
    `  gateway RSS ${r.gateway_rss_mb_before ?? '?'} MB before, peak ${r.gateway_rss_mb_peak ?? '?'} MB (target <= 300 MB: ${r.gateway_rss_mb_peak === null ? 'not measured' : check(r.gateway_rss_mb_peak <= 300)})`,
    `  fast c=8 p99 ${r.fast_loaded_p99_ms} ms under the flood vs ${r.fast_idle_p99_ms} ms idle = ${r.fast_p99_ratio}x (target <= 2x: ${check(r.fast_p99_ratio <= 2)})`,
  ].join('\n');
}
