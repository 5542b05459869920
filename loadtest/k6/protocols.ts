// Every route family against every model at a gentle constant rate: POST /predict, KServe V1 and
// Open Inference Protocol V2, plus the discovery routes operators' tooling polls. It checks that a
// deployment answers all of them, with per-route latency tags, before heavier scripts run.
//
//   k6 run -e BASE_URL=... -e API_KEY=... loadtest/k6/protocols.ts

import { check, sleep } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import type { Options } from 'k6/options';
import {
  fetchShapes,
  infer,
  modelThresholds,
  runSalt,
  type Shapes,
  shapeFor,
} from './lib/client.ts';
import { intEnv, loadConfig } from './lib/config.ts';
import { MODEL_NAMES, ROUTES, uniqueRow } from './lib/payloads.ts';

const config = loadConfig();
// Requests per route per second; nine inference routes in all.
const rate = intEnv('RATE', 5, 1, 10_000);

export const options: Options = {
  scenarios: {
    inference: {
      executor: 'constant-arrival-rate',
      rate: rate * MODEL_NAMES.length * ROUTES.length,
      timeUnit: '1s',
      duration: `${config.durationSeconds}s`,
      preAllocatedVUs: 10,
      maxVUs: config.maxVUs,
    },
    discovery: {
      executor: 'constant-vus',
      vus: 1,
      duration: `${config.durationSeconds}s`,
      exec: 'discovery',
    },
  },
  thresholds: {
    ...modelThresholds(config),
    ...Object.fromEntries(ROUTES.map((r) => [`http_req_duration{route:${r}}`, ['p(95)<1000']])),
  },
};

interface Data {
  shapes: Shapes;
  salt: number;
}

export function setup(): Data {
  return { shapes: fetchShapes(config), salt: runSalt() };
}

export default function (data: Data): void {
  const i = exec.scenario.iterationInTest;
  const model = MODEL_NAMES[i % MODEL_NAMES.length] as string;
  const route = ROUTES[Math.floor(i / MODEL_NAMES.length) % ROUTES.length] ?? 'predict';
  const shape = shapeFor(data.shapes, model);
  infer(config, route, shape, [uniqueRow(shape.features, data.salt + i)]);
}

export function discovery(): void {
  const params = {
    headers: config.apiKey === undefined ? {} : { [config.apiKeyHeader]: config.apiKey },
    tags: { route: 'discovery' },
  };
  for (const path of ['/v2/health/ready', '/v1/models', '/health/ready']) {
    const res = http.get(`${config.baseUrl}${path}`, params);
    check(res, { [`${path} is 200`]: (r) => r.status === 200 });
  }
  for (const model of MODEL_NAMES) {
    const res = http.get(`${config.baseUrl}/v2/models/${model}/ready`, params);
    check(res, { 'model ready is 200': (r) => r.status === 200 });
  }
  // Discovery is polled, not load: one round per second, like a readiness probe.
  sleep(1);
}
