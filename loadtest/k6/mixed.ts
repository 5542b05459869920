// The original load test's mix: fast 3 : intermediate 2 : slow 1, at a constant arrival rate,
// through POST /predict with unique inputs. Thresholds hold a p95 budget per model.
//
//   k6 run -e BASE_URL=... -e API_KEY=... -e RATE=300 loadtest/k6/mixed.ts

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
import { loadConfig } from './lib/config.ts';
import { mixedModel, uniqueRow } from './lib/payloads.ts';

const config = loadConfig();

export const options: Options = {
  scenarios: {
    mixed: {
      executor: 'constant-arrival-rate',
      rate: config.rate,
      timeUnit: '1s',
      duration: `${config.durationSeconds}s`,
      preAllocatedVUs: Math.min(config.maxVUs, 30),
      maxVUs: config.maxVUs,
    },
  },
  thresholds: modelThresholds(config),
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
  const shape = shapeFor(data.shapes, mixedModel(i));
  infer(config, 'predict', shape, [uniqueRow(shape.features, data.salt + i)]);
}
