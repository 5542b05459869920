import { randomBytes } from 'node:crypto';
import type { Test } from 'tap';
import t from 'tap';
import { type ReceivedSpan, startOtlpReceiver } from './helpers/otlp-receiver.js';
import {
  API_MAIN,
  type Child,
  spawnNode,
  spawnWorker,
  uniqueModel,
  waitFor,
} from './helpers/stack.js';

// Ports given to this test file (35000-35099).
const RECEIVER_PORT = 35010;
const GATEWAY_PORT = 35020;

const ROW = [5.1, 3.5, 1.4, 0.2];

function otelEnv(endpoint: string, service: string): Record<string, string> {
  return {
    OTEL_SERVICE_NAME: service,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '50',
  };
}

/** A traced worker and gateway for a unique copy of `fast`, both exporting to `endpoint`. */
async function startStack(
  t: Test,
  endpoint: string,
  port: number,
  gatewayEnv: Record<string, string>,
): Promise<{ name: string; base: string; worker: Child; gateway: Child; lines: string[] }> {
  const { name, dir } = await uniqueModel(t, 'fast');
  const worker = spawnWorker(t, dir, otelEnv(endpoint, 'mlapi-worker'));
  const lines: string[] = [];
  const gateway = spawnNode(
    t,
    API_MAIN,
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
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

t.test('sampling off: a /predict exports no span at all', async (t) => {
  const receiver = await startOtlpReceiver(t, RECEIVER_PORT + 1);
  const stack = await startStack(t, receiver.url, GATEWAY_PORT + 1, {
    OTEL_TRACES_SAMPLER: 'always_off',
  });
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${stack.base}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model_name: stack.name, input_data: [ROW] }),
    });
    t.equal(res.status, 200);
    await res.arrayBuffer();
  }
  await stopAndFlush(stack.gateway, stack.worker);
  t.equal(receiver.spans.length, 0, 'no span reached the receiver');
});
