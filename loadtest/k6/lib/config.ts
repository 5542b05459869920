// The k6 scripts' settings, read from __ENV once in the init context. A bad value aborts the run
// with a message naming the variable instead of load-testing with a silently wrong setting.

export interface K6Config {
  baseUrl: string;
  apiKey: string | undefined;
  apiKeyHeader: string;
  /** Iterations (requests) per second for the arrival-rate scenarios. */
  rate: number;
  durationSeconds: number;
  maxVUs: number;
  /** p95 budget per model, in ms, for the thresholds. */
  p95Ms: Readonly<Record<string, number>>;
  /** Request timeout, e.g. '10s'. */
  timeout: string;
}

export function loadConfig(): Readonly<K6Config> {
  const baseUrl = (__ENV.BASE_URL ?? 'http://localhost:8080').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(baseUrl)) {
    throw new Error(`BASE_URL must be an http(s) URL, got "${baseUrl}"`);
  }
  const apiKey = __ENV.API_KEY === '' ? undefined : __ENV.API_KEY;
  return Object.freeze({
    baseUrl,
    apiKey,
    apiKeyHeader: (__ENV.API_KEY_HEADER ?? 'x-api-key').toLowerCase(),
    rate: intEnv('RATE', 100, 1, 1_000_000),
    durationSeconds: intEnv('DURATION_SECONDS', 60, 1, 86_400),
    maxVUs: intEnv('MAX_VUS', 200, 1, 100_000),
    p95Ms: Object.freeze({
      fast: intEnv('P95_FAST_MS', 50, 1, 600_000),
      intermediate: intEnv('P95_INTERMEDIATE_MS', 100, 1, 600_000),
      slow: intEnv('P95_SLOW_MS', 250, 1, 600_000),
    }),
    timeout: `${intEnv('TIMEOUT_SECONDS', 10, 1, 600)}s`,
  });
}

/** An integer environment variable in [min, max], or its default when unset or empty. */
export function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
  }
  return value;
}

/** A string environment variable restricted to a set of choices. */
export function choiceEnv<T extends string>(name: string, fallback: T, choices: readonly T[]): T {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new Error(`${name} must be one of ${choices.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}
