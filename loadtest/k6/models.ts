// One scenario per model, run one after another at a constant arrival rate, so each model's
// latency is measured on its own. Inputs are unique per request (cache misses).
//
//   k6 run -e BASE_URL=https://mlapi.example.com -e API_KEY=... loadtest/k6/models.ts
//   ROUTE=v1|v2 sends the same load through the KServe V1 or Open Inference Protocol V2 route.

import exec from 'k6/execution';
import type { Options } from 'k6/options';
import {
  fetchShapes,
  infer,
  modelThresholds,
  runSalt,
  type Shapes,
  shapeFor,
} from './lib/client.ts';
import { choiceEnv, loadConfig } from './lib/config.ts';
import { MODEL_NAMES, ROUTES, uniqueRow } from './lib/payloads.ts';

const config = loadConfig();
const route = choiceEnv('ROUTE', 'predict', ROUTES);
const GAP_SECONDS = 5;

export const options: Options = {
  scenarios: Object.fromEntries(
    MODEL_NAMES.map((model, i) => [
      model,
      {
        executor: 'constant-arrival-rate',
        rate: config.rate,
        timeUnit: '1s',
        duration: `${config.durationSeconds}s`,
        startTime: `${i * (config.durationSeconds + GAP_SECONDS)}s`,
        preAllocatedVUs: Math.min(config.maxVUs, 20),
        maxVUs: config.maxVUs,
        exec: model,
        tags: { model },
      },
    ]),
  ),
  thresholds: modelThresholds(config),
};

interface Data {
  shapes: Shapes;
  salt: number;
}

export function setup(): Data {
  return { shapes: fetchShapes(config), salt: runSalt() };
}

function run(model: string, data: Data): void {
  const shape = shapeFor(data.shapes, model);
  const seed = data.salt + exec.scenario.iterationInTest;
  infer(config, route, shape, [uniqueRow(shape.features, seed)]);
}

export function fast(data: Data): void {
  run('fast', data);
}

export function intermediate(data: Data): void {
  run('intermediate', data);
}

export function slow(data: Data): void {
  run('slow', data);
}
