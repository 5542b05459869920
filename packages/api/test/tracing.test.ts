import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Test } from 'tap';
import t from 'tap';
import { irisRows, settled, storeDir } from './helpers/jobs.js';
import { type ReceivedSpan, startOtlpReceiver } from './helpers/otlp-receiver.js';
import {
  AMQP_URL,
  API_MAIN,
  type Child,
  spawnNode,
  spawnWorker,
  uniqueModel,
  waitFor,
} from './helpers/stack.js';
import { privateVhost } from './helpers/vhost.js';

// Ports given to this test file (35000-35099).
const RECEIVER_PORT = 35010;
const GATEWAY_PORT = 35020;

const ROW = [5.1, 3.5, 1.4, 0.2];
/** A job of 10 rows in chunks of 3 is 4 chunk messages. */
const JOB_ROWS = 10;
const JOB_CHUNK_ROWS = 3;
const JOB_CHUNKS = 4;

function otelEnv(endpoint: string, service: string): Record<string, string> {
  return {
    OTEL_SERVICE_NAME: service,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '50',
  };
}

/**
 * A traced worker and gateway for a unique copy of `fast`, both exporting to `endpoint`, on
 * `amqpUrl` (a private vhost for jobs: the gateway consumes the shared results queue). The
 * gateway keeps its embedded job and key stores in a temp folder.
 */
async function startStack(
  t: Test,
  endpoint: string,
  port: number,
  gatewayEnv: Record<string, string>,
  amqpUrl = AMQP_URL,
): Promise<{ name: string; base: string; worker: Child; gateway: Child; lines: string[] }> {
  const { name, dir } = await uniqueModel(t, 'fast');
  const worker = spawnWorker(t, dir, { AMQP_URL: amqpUrl, ...otelEnv(endpoint, 'mlapi-worker') });
  const lines: string[] = [];
  const state = await storeDir(t);
  const gateway = spawnNode(
    t,
    API_MAIN,
    {
      AMQP_URL: amqpUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      JOB_STORE_DIR: join(state, 'jobs'),
      STATE_DIR: join(state, 'state'),
      ...otelEnv(endpoint, 'mlapi-api'),
      ...gatewayEnv,
    },
    (line) => lines.push(line),
  );
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    'the gateway to serve the model',
    async () => {
      try {
        const res = await fetch(`${base}/v1/models/${name}`);
        return res.status === 200 && ((await res.json()) as { ready: boolean }).ready;
      } catch {
        return false;
      }
      // A loaded machine starts two Node processes and an ONNX session slowly.
    },
    90_000,
  );
  return { name, base, worker, gateway, lines };
}

/** Submits `JOB_ROWS` rows as a JSON job and waits for it to succeed; returns its id. */
async function runJob(
  t: Test,
  base: string,
  model: string,
  headers: Record<string, string>,
): Promise<string> {
  const res = await fetch(`${base}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model_name: model, input_data: irisRows(JOB_ROWS, 3) }),
  });
  t.equal(res.status, 202, 'the job is accepted');
  const { job_id: jobId } = (await res.json()) as { job_id: string };
  const done = await settled(base, jobId, 90_000);
  t.equal(done.status, 'succeeded');
  t.equal(done.rows_done, JOB_ROWS);
  return jobId;
}

/** SIGTERM both processes and wait for their exits: each SDK flushes its spans on the way out. */
async function stopAndFlush(...children: Child[]): Promise<void> {
  for (const { child } of children) child.kill('SIGTERM');
  for (const { exited } of children) await exited;
}

t.test('one /predict: gateway and worker spans share the trace, parented and linked', async (t) => {
  const receiver = await startOtlpReceiver(t, RECEIVER_PORT);
  const stack = await startStack(t, receiver.url, GATEWAY_PORT, {
    OTEL_TRACES_SAMPLER: 'always_on',
    // Every request is "slow", so its log line shows the trace id.
    SLOW_REQUEST_MS: '1',
  });
  const traceId = randomBytes(16).toString('hex');
  const callerSpan = randomBytes(8).toString('hex');
  const res = await fetch(`${stack.base}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${callerSpan}-01` },
    body: JSON.stringify({ model_name: stack.name, input_data: [ROW] }),
  });
  t.equal(res.status, 200);
  await res.arrayBuffer();
  await waitFor('the slow-request line', () =>
    stack.lines.some((l) => l.includes('slow request') && l.includes('"/predict"')),
  );
  await stopAndFlush(stack.gateway, stack.worker);

  const spans = receiver.spans.filter((s) => s.traceId === traceId);
  const named = (service: string, name: string): ReceivedSpan => {
    const found = spans.filter((s) => s.service === service && s.name === name);
    t.equal(found.length, 1, `one ${service} "${name}" span`);
    return found[0] as ReceivedSpan;
  };
  const request = named('mlapi-api', 'request');
  t.equal(request.parentSpanId, callerSpan, 'the HTTP span continues the caller traceparent');
  t.equal(request.kind, 2, 'the HTTP span is a SERVER span');
  const inRequest = new Set(spans.filter((s) => s.service === 'mlapi-api').map((s) => s.spanId));
  const lookup = named('mlapi-api', 'cache lookup');
  const wait = named('mlapi-api', 'coalescing wait');
  const publish = named('mlapi-api', 'publish');
  const reply = named('mlapi-api', 'reply wait');
  for (const span of [lookup, wait, publish, reply]) {
    t.ok(inRequest.has(span.parentSpanId), `"${span.name}" hangs under the request's spans`);
  }
  t.equal(lookup.attributes['mlapi.cache.hit'], false);
  t.equal(publish.kind, 4, 'publish is a PRODUCER span');

  const queueWait = named('mlapi-worker', 'queue wait');
  const batch = named('mlapi-worker', 'batch');
  const run = named('mlapi-worker', 'session.run');
  t.equal(queueWait.parentSpanId, publish.spanId, 'the queue wait continues the publish');
  t.equal(batch.parentSpanId, publish.spanId, 'the batch continues the (first) message');
  t.same(
    batch.links,
    [{ traceId, spanId: publish.spanId }],
    'the batch links every member message',
  );
  t.equal(run.parentSpanId, batch.spanId, 'session.run runs inside the batch');
  t.equal(run.attributes['mlapi.rows'], 1);

  const slow = stack.lines
    .map((l) => JSON.parse(l) as { msg?: string; route?: string; trace_id?: string })
    .find((l) => l.msg === 'slow request' && l.route === '/predict');
  t.equal(slow?.trace_id, traceId, 'the slow-request line names the trace');
});

t.test('sampling off: a /predict and a job export no span at all', async (t) => {
  const receiver = await startOtlpReceiver(t, RECEIVER_PORT + 1);
  const stack = await startStack(
    t,
    receiver.url,
    GATEWAY_PORT + 1,
    { OTEL_TRACES_SAMPLER: 'always_off', JOB_CHUNK_ROWS: String(JOB_CHUNK_ROWS) },
    await privateVhost(t),
  );
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${stack.base}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model_name: stack.name, input_data: [ROW] }),
    });
    t.equal(res.status, 200);
    await res.arrayBuffer();
  }
  // Even a caller's sampled traceparent: the gateway's sampler says no, so its chunks carry none
  // and the worker (which would follow a sampled parent) makes no span either.
  const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
  await runJob(t, stack.base, stack.name, {});
  await runJob(t, stack.base, stack.name, { traceparent });
  await stopAndFlush(stack.gateway, stack.worker);
  t.equal(receiver.spans.length, 0, 'no span reached the receiver');
});

t.test(
  'a sampled job: each chunk publish and its worker spans join the submit trace',
  async (t) => {
    const receiver = await startOtlpReceiver(t, RECEIVER_PORT + 2);
    const stack = await startStack(
      t,
      receiver.url,
      GATEWAY_PORT + 2,
      { OTEL_TRACES_SAMPLER: 'always_on', JOB_CHUNK_ROWS: String(JOB_CHUNK_ROWS) },
      await privateVhost(t),
    );
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const jobId = await runJob(t, stack.base, stack.name, {
      traceparent: `00-${traceId}-${callerSpan}-01`,
    });
    await stopAndFlush(stack.gateway, stack.worker);

    const spans = receiver.spans.filter((s) => s.traceId === traceId);
    const requests = spans.filter((s) => s.service === 'mlapi-api' && s.name === 'request');
    t.equal(requests.length, 1, 'one request span: the submit');
    const submit = requests[0] as ReceivedSpan;
    t.equal(submit.parentSpanId, callerSpan, 'the submit continues the caller traceparent');

    const publishes = spans.filter(
      (s) => s.service === 'mlapi-api' && s.name === 'publish job chunk',
    );
    t.equal(publishes.length, JOB_CHUNKS, `one publish per chunk (${JOB_CHUNKS})`);
    t.same(
      publishes.map((p) => p.attributes['mlapi.job.chunk']).sort(),
      [0, 1, 2, 3],
      'every chunk number once',
    );
    const chunks = spans.filter((s) => s.service === 'mlapi-worker' && s.name === 'job chunk');
    t.equal(chunks.length, JOB_CHUNKS, `one worker "job chunk" span per chunk (${JOB_CHUNKS})`);
    const runs = spans.filter((s) => s.service === 'mlapi-worker' && s.name === 'session.run');
    t.ok(runs.length >= 1, 'the worker traced its session.runs');

    for (const publish of publishes) {
      const n = publish.attributes['mlapi.job.chunk'] as number;
      const rows = Math.min(JOB_CHUNK_ROWS, JOB_ROWS - n * JOB_CHUNK_ROWS);
      t.equal(publish.parentSpanId, submit.spanId, `chunk ${n}: its publish is under the submit`);
      t.equal(publish.kind, 4, `chunk ${n}: its publish is a PRODUCER span`);
      t.equal(publish.attributes['mlapi.job.id'], jobId);
      t.equal(publish.attributes['mlapi.rows'], rows);
      t.equal(publish.attributes['messaging.system'], 'rabbitmq');

      const consumed = chunks.filter((c) => c.parentSpanId === publish.spanId);
      t.equal(consumed.length, 1, `chunk ${n}: one "job chunk" span continues its publish`);
      const chunk = consumed[0] as ReceivedSpan;
      t.equal(chunk.kind, 5, `chunk ${n}: a CONSUMER span`);
      t.equal(chunk.attributes['mlapi.job.id'], jobId);
      t.equal(chunk.attributes['mlapi.job.chunk'], n);
      t.equal(chunk.attributes['mlapi.rows'], rows);
      const own = runs.filter((r) => r.parentSpanId === chunk.spanId);
      t.ok(own.length >= 1, `chunk ${n}: a session.run under its span`);
      t.equal(
        own.reduce((sum, r) => sum + (r.attributes['mlapi.job.chunk_rows'] as number), 0),
        rows,
        `chunk ${n}: its runs inferred each of its rows once`,
      );
    }
  },
);
