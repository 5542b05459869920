export interface BenchOptions {
  /** A running gateway to measure instead of starting the local stack. */
  url: string | null;
  /** Measured seconds per cell. */
  durationSeconds: number;
  /** Unmeasured seconds before each cell, on the same workload. */
  warmupSeconds: number;
  /** Closed-loop concurrencies for the fast model. */
  concurrencies: readonly number[];
  /** Fixed arrival rate of the open-loop run, requests/s. */
  openLoopRate: number;
  /** Only scenarios whose name matches one of these regular expressions run; empty: all. */
  only: readonly string[];
  /**
   * Where http.json and the chart go, relative to the repository root. The default is
   * untracked; SAVED_OUT_DIR holds the committed figures (`pnpm bench --save`).
   */
  outDir: string;
  /** Start the gateway and workers with `node --cpu-prof`, writing outDir/<process>.cpuprofile. */
  cpuProf: boolean;
  /** REDIS_URL for the local gateway; null: its embedded in-process cache. */
  redisUrl: string | null;
  /**
   * LOG_LEVEL of the local gateway. `warn` by default, so the figures measure the code, not a
   * log pipe; `info` measures it as deployed (what a per-request log line costs).
   */
  gatewayLogLevel: 'warn' | 'info' | 'debug';
  /**
   * Rounds of each auth pair (off and keys), in A-B-B-A order so neither side always runs first;
   * the pair is judged on the mean of its rounds. One cell is noisy on a shared 2-core machine.
   */
  pairRounds: number;
  /** Gateway port of the local stack; workers' health ports follow from workerBasePort. */
  port: number;
  workerBasePort: number;
}

/**
 * Every default, in one place. 10 s cells keep a full run near three minutes; ports sit away
 * from `pnpm start`'s 8080/9101-9103 so a developer's running stack is left alone.
 */
export const DEFAULT_OPTIONS: Readonly<BenchOptions> = Object.freeze({
  url: null,
  durationSeconds: 10,
  warmupSeconds: 2,
  concurrencies: Object.freeze([1, 64, 256]),
  openLoopRate: 350,
  only: Object.freeze([]),
  outDir: 'bench-results/local',
  cpuProf: false,
  redisUrl: null,
  gatewayLogLevel: 'warn',
  pairRounds: 1,
  port: 18080,
  workerBasePort: 19100,
});

/** The committed results, rewritten only on request (`--save`), never by a smoke run. */
export const SAVED_OUT_DIR = 'bench-results';

/** The short smoke run of `--quick`: every scenario, briefly. */
export const QUICK_OPTIONS: Readonly<Partial<BenchOptions>> = Object.freeze({
  durationSeconds: 2,
  warmupSeconds: 0.5,
});

/** A TypeError that names the bad option in its message and in `option`, with a stable `code`. */
export interface BadOptionError extends TypeError {
  code: 'BENCH_BAD_OPTION';
  option: string;
}

function badOption(option: string, message: string): BadOptionError {
  return Object.assign(new TypeError(`${option} ${message}`), {
    code: 'BENCH_BAD_OPTION' as const,
    option,
  });
}

function checkNumber(name: string, value: unknown, min: number, max: number, integer: boolean) {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (integer && !Number.isInteger(value)) ||
    value < min ||
    value > max
  ) {
    throw badOption(
      name,
      `must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${String(value)}`,
    );
  }
}

/** Merges options over the defaults and checks each one. @throws TypeError naming the option */
export function normalizeOptions(options: Partial<BenchOptions> = {}): Readonly<BenchOptions> {
  const o: BenchOptions = { ...DEFAULT_OPTIONS, ...options };
  if (o.url !== null) {
    let parsed: URL;
    try {
      parsed = new URL(o.url);
    } catch {
      throw badOption('url', `must be an http URL, got ${o.url}`);
    }
    if (parsed.protocol !== 'http:') throw badOption('url', `must be an http URL, got ${o.url}`);
    o.url = parsed.origin;
  }
  checkNumber('durationSeconds', o.durationSeconds, 0.5, 3600, false);
  checkNumber('warmupSeconds', o.warmupSeconds, 0, 600, false);
  checkNumber('openLoopRate', o.openLoopRate, 1, 1_000_000, true);
  checkNumber('pairRounds', o.pairRounds, 1, 20, true);
  checkNumber('port', o.port, 1, 65_535, true);
  checkNumber('workerBasePort', o.workerBasePort, 1, 65_530, true);
  if (!Array.isArray(o.concurrencies) || o.concurrencies.length === 0) {
    throw badOption('concurrencies', 'must be a non-empty array');
  }
  for (const c of o.concurrencies) checkNumber('concurrencies', c, 1, 10_000, true);
  if (!Array.isArray(o.only) || !o.only.every((s) => typeof s === 'string' && s !== '')) {
    throw badOption('only', 'must be an array of non-empty strings');
  }
  for (const pattern of o.only) {
    try {
      new RegExp(pattern);
    } catch {
      throw badOption('only', `must be regular expressions, got ${pattern}`);
    }
  }
  if (typeof o.outDir !== 'string' || o.outDir === '') {
    throw badOption('outDir', 'must be a non-empty path');
  }
  if (typeof o.cpuProf !== 'boolean') throw badOption('cpuProf', 'must be a boolean');
  if (!['warn', 'info', 'debug'].includes(o.gatewayLogLevel)) {
    throw badOption(
      'gatewayLogLevel',
      `must be warn, info or debug, got ${String(o.gatewayLogLevel)}`,
    );
  }
  if (o.redisUrl !== null && !/^rediss?:\/\//.test(o.redisUrl)) {
    throw badOption('redisUrl', `must be a redis:// URL, got ${o.redisUrl}`);
  }
  return Object.freeze({
    ...o,
    concurrencies: Object.freeze([...o.concurrencies]),
    only: Object.freeze([...o.only]),
  });
}
