// Cache miss against cache hit on one model (MODEL, default fast): first every request carries
// a new input, then every request carries the same one. The `cached` rate metric proves which
// path each phase took; a hit ratio off target fails the run like a latency budget does.
//
//   k6 run -e BASE_URL=... -e API_KEY=... -e RATE=500 loadtest/k6/cache.ts

import exec from 'k6/execution';
import { Rate } from 'k6/metrics';
import type { Options } from 'k6/options';
import { fetchShapes, infer, runSalt, type Shapes, shapeFor } from './lib/client.ts';
import { choiceEnv, intEnv, loadConfig } from './lib/config.ts';
import { fixedRow, MODEL_NAMES, uniqueRow } from './lib/payloads.ts';

const config = loadConfig();
const model = choiceEnv('MODEL', 'fast', MODEL_NAMES);
const GAP_SECONDS = 5;

const cached = new Rate('cached');

export const options: Options = {
  scenarios: {
    cache_miss: {
      executor: 'constant-arrival-rate',
      rate: config.rate,
      timeUnit: '1s',
      duration: `${config.durationSeconds}s`,
      preAllocatedVUs: Math.min(config.maxVUs, 20),
      maxVUs: config.maxVUs,
      exec: 'miss',
    },
    cache_hit: {
      executor: 'constant-arrival-rate',
      rate: config.rate,
      timeUnit: '1s',
      duration: `${config.durationSeconds}s`,
      startTime: `${config.durationSeconds + GAP_SECONDS}s`,
      preAllocatedVUs: Math.min(config.maxVUs, 20),
      maxVUs: config.maxVUs,
      exec: 'hit',
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
    'cached{scenario:cache_miss}': ['rate<0.01'],
    // The first request of the hit phase may be the one that fills the cache.
    'cached{scenario:cache_hit}': ['rate>0.99'],
    'http_req_duration{scenario:cache_miss}': [`p(95)<${config.p95Ms[model] ?? 100}`],
    'http_req_duration{scenario:cache_hit}': [`p(95)<${intEnv('P95_CACHE_HIT_MS', 20, 1, 60_000)}`],
  },
};

interface Data {
  shapes: Shapes;
  salt: number;
}

export function setup(): Data {
  return { shapes: fetchShapes(config, [model]), salt: runSalt() };
}

export function miss(data: Data): void {
  const shape = shapeFor(data.shapes, model);
  const rows = [uniqueRow(shape.features, data.salt + exec.scenario.iterationInTest)];
  cached.add(infer(config, 'predict', shape, rows).cached);
}

export function hit(data: Data): void {
  const shape = shapeFor(data.shapes, model);
  cached.add(infer(config, 'predict', shape, [fixedRow(shape.features)]).cached);
}
