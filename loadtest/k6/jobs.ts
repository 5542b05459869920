// Bulk jobs end to end: each iteration submits a job of ROWS rows as NDJSON, follows its event
// stream until the job ends (k6 has no SSE client; the stream ends with the job, so one GET reads
// it whole), checks the ids run without a gap, then fetches the results as NDJSON and checks one
// line per row in input order. Thresholds: submit latency, job duration and rows/s.
//
//   k6 run -e BASE_URL=... -e API_KEY=... -e MODEL=fast -e ROWS=100000 -e VUS=2 loadtest/k6/jobs.ts

import { check, fail } from 'k6';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import { fetchShapes, type Shapes, shapeFor } from './lib/client.ts';
import { choiceEnv, intEnv, loadConfig } from './lib/config.ts';
import { MODEL_NAMES, uniqueRow } from './lib/payloads.ts';

const config = loadConfig();
const model = choiceEnv('MODEL', 'fast', MODEL_NAMES);
const rows = intEnv('ROWS', 100_000, 1, 10_000_000);
const vus = intEnv('VUS', 1, 1, 100);
const jobTimeoutSeconds = intEnv('JOB_TIMEOUT_SECONDS', 600, 1, 86_400);

const jobSeconds = new Trend('job_seconds');
const jobRowsPerSecond = new Trend('job_rows_per_second');
const jobRows = new Counter('job_rows');

export const options: Options = {
  scenarios: {
    jobs: {
      executor: 'constant-vus',
      vus,
      duration: `${config.durationSeconds}s`,
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
    'http_req_duration{step:submit}': [`p(95)<${intEnv('P95_SUBMIT_MS', 30_000, 1, 600_000)}`],
    job_rows_per_second: [`med>${intEnv('MIN_ROWS_PER_SECOND', 1000, 0, 100_000_000)}`],
  },
};

interface Data {
  shapes: Shapes;
}

export function setup(): Data {
  return { shapes: fetchShapes(config, [model]) };
}

function headers(extra: Record<string, string>): Record<string, string> {
  const h: Record<string, string> = { ...extra };
  if (config.apiKey !== undefined) h[config.apiKeyHeader] = config.apiKey;
  return h;
}

export default function (data: Data): void {
  const { features } = shapeFor(data.shapes, model);
  const lines: string[] = [];
  const seed = (__VU * 1_000_003 + __ITER * 7919) % 2_147_483_647;
  for (let i = 0; i < rows; i++) lines.push(JSON.stringify(uniqueRow(features, seed + i)));
  const started = Date.now();
  const submitted = http.post(
    `${config.baseUrl}/v1/jobs?model_name=${model}`,
    `${lines.join('\n')}\n`,
    {
      headers: headers({ 'content-type': 'application/x-ndjson' }),
      tags: { step: 'submit' },
      timeout: `${jobTimeoutSeconds}s`,
    },
  );
  if (!check(submitted, { 'submit: 202': (r) => r.status === 202 })) return;
  const jobId = (submitted.json() as { job_id: string }).job_id;

  const events = http.get(`${config.baseUrl}/v1/jobs/${jobId}/events`, {
    headers: headers({ accept: 'text/event-stream' }),
    tags: { step: 'events' },
    timeout: `${jobTimeoutSeconds}s`,
  });
  const ids = (String(events.body ?? '').match(/^id: \d+$/gm) ?? []).map((l) => Number(l.slice(4)));
  check(events, {
    'events: ids run without a gap': () => ids.length > 0 && ids.every((id, i) => id === i),
    'events: the job succeeded': (r) => /"status":"succeeded"/.test(String(r.body ?? '')),
  });
  const seconds = (Date.now() - started) / 1000;

  const result = http.get(`${config.baseUrl}/v1/jobs/${jobId}/result`, {
    headers: headers({ accept: 'application/x-ndjson' }),
    tags: { step: 'result' },
    timeout: `${jobTimeoutSeconds}s`,
  });
  const text = String(result.body ?? '');
  const lineCount = text === '' ? 0 : text.trimEnd().split('\n').length;
  if (
    !check(result, {
      'result: 200': (r) => r.status === 200,
      'result: one line per row': () => lineCount === rows,
      'result: in input order': () => text.startsWith('{"row":0,'),
    })
  ) {
    fail(`job ${jobId}: ${result.status}, ${lineCount} result lines for ${rows} rows`);
  }
  jobSeconds.add(seconds);
  jobRowsPerSecond.add(rows / seconds);
  jobRows.add(rows);
}
