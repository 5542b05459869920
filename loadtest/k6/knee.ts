// Finds the knee: the arrival rate climbs in steps from START_RATE to MAX_RATE, holding each
// step for STEP_SECONDS, until the failure rate or the p95 budget breaks. Those thresholds abort
// the run (after a short grace for evaluation), so the last step reached before the abort, seen
// in the `iterations` rate and `dropped_iterations`, is the knee. MODEL=mixed ramps the 3:2:1 mix.
//
//   k6 run -e BASE_URL=... -e API_KEY=... -e START_RATE=100 -e MAX_RATE=3000 loadtest/k6/knee.ts

import exec from 'k6/execution';
import type { Options, Stage } from 'k6/options';
import { fetchShapes, infer, runSalt, type Shapes, shapeFor } from './lib/client.ts';
import { choiceEnv, intEnv, loadConfig } from './lib/config.ts';
import { MODEL_NAMES, mixedModel, uniqueRow } from './lib/payloads.ts';

const config = loadConfig();
const target = choiceEnv('MODEL', 'fast', [...MODEL_NAMES, 'mixed'] as const);
const startRate = intEnv('START_RATE', 50, 1, 1_000_000);
const maxRate = intEnv('MAX_RATE', 2000, startRate, 1_000_000);
const steps = intEnv('STEPS', 10, 1, 100);
const stepSeconds = intEnv('STEP_SECONDS', 30, 5, 3600);
const RAMP_SECONDS = 5;

function stages(): Stage[] {
  const out: Stage[] = [];
  for (let i = 1; i <= steps; i++) {
    const rate = Math.round(startRate + ((maxRate - startRate) * i) / steps);
    // A short ramp to the next step, then a hold long enough for stable percentiles.
    out.push({ target: rate, duration: `${RAMP_SECONDS}s` });
    out.push({ target: rate, duration: `${stepSeconds}s` });
  }
  return out;
}

const budget =
  target === 'mixed' ? Math.max(...Object.values(config.p95Ms)) : (config.p95Ms[target] ?? 100);

export const options: Options = {
  scenarios: {
    knee: {
      executor: 'ramping-arrival-rate',
      startRate,
      timeUnit: '1s',
      preAllocatedVUs: Math.min(config.maxVUs, 50),
      maxVUs: config.maxVUs,
      stages: stages(),
    },
  },
  thresholds: {
    http_req_failed: [{ threshold: 'rate<0.01', abortOnFail: true, delayAbortEval: '10s' }],
    http_req_duration: [{ threshold: `p(95)<${budget}`, abortOnFail: true, delayAbortEval: '10s' }],
    dropped_iterations: ['count<1'],
  },
};

interface Data {
  shapes: Shapes;
  salt: number;
}

export function setup(): Data {
  const models = target === 'mixed' ? MODEL_NAMES : [target];
  return { shapes: fetchShapes(config, models), salt: runSalt() };
}

export default function (data: Data): void {
  const i = exec.scenario.iterationInTest;
  const shape = shapeFor(data.shapes, target === 'mixed' ? mixedModel(i) : target);
  infer(config, 'predict', shape, [uniqueRow(shape.features, data.salt + i)]);
}
