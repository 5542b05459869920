// The k6 scripts' and the harness's request bodies, sent through the real gateway (buildApp +
// inject) to real ONNX workers over the real broker: every body must pass validation and come
// back as a prediction. Each model is served under a unique name (so a unique queue), because
// teammates' workers may be consuming the shared `mlapi.fast` and friends at the same time.

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { buildApp, loadConfig } from '@mlapi/api';
import { PresencePublisher } from '@mlapi/rpc';
import { loadModel, ModelWorker } from '@mlapi/worker';
import { connect } from 'amqplib';
import t from 'tap';
import {
  fixedRow,
  MODEL_NAMES,
  type ModelShape,
  mixedModel,
  ROUTES,
  type Route,
  routeBody,
  routePath,
  shapeFromMetadata,
  uniqueRow,
} from '../k6/lib/payloads.js';
import { requestSource, type Workload } from '../src/workload.js';

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HEADERS = { 'content-type': 'application/json', 'x-api-key': 'loadtest' };
const READY_TIMEOUT_MS = 15_000;
const tag = `${process.pid}-${randomBytes(3).toString('hex')}`;

/** The shipped model under a unique name: the graph symlinked, the manifest renamed. */
function renamedModelDir(parent: string, model: string): string {
  const dir = join(parent, model);
  mkdirSync(dir);
  const manifest = JSON.parse(readFileSync(join(ROOT, 'models', model, 'model.json'), 'utf8'));
  manifest.name = `lt-${model}-${tag}`;
  // A renamed copy does not claim the shipped model's aliases (fast-iris-model, ...).
  delete manifest.aliases;
  writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
  symlinkSync(join(ROOT, 'models', model, 'model.onnx'), join(dir, 'model.onnx'));
  return dir;
}

async function deleteQueues(queues: string[]): Promise<void> {
  const conn = await connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    for (const q of queues) await ch.deleteQueue(q);
    await ch.close();
  } finally {
    await conn.close();
  }
}

// Shared by every subtest: three workers, their presence, and one gateway.
let app: Awaited<ReturnType<typeof buildApp>>;
/** Keyed by the shipped name (fast, ...); each shape carries the unique served name. */
const shapes: Record<string, ModelShape> = {};

t.before(async () => {
  const parent = mkdtempSync(join(tmpdir(), 'loadtest-models-'));
  t.teardown(() => rmSync(parent, { recursive: true, force: true }));
  const queues: string[] = [];
  t.teardown(() => deleteQueues(queues));
  for (const model of MODEL_NAMES) {
    const loaded = await loadModel(renamedModelDir(parent, model));
    const worker = new ModelWorker({
      url: AMQP_URL,
      model: loaded,
      logger: null,
      connectionName: `loadtest-validation-worker-${tag}`,
    });
    queues.push(worker.queue);
    t.teardown(() => worker.stop());
    await worker.start();
    const presence = new PresencePublisher({
      url: AMQP_URL,
      service: worker.queue,
      meta: () => ({ manifest: loaded.manifest }),
      ready: () => worker.consuming,
      logger: null,
      connectionName: `loadtest-validation-presence-${tag}`,
    });
    t.teardown(() => presence.stop());
    await presence.start();
  }
  // No memory guard: in process, the resident set is the test's, not the gateway's.
  app = await buildApp(loadConfig({ LOG_LEVEL: 'silent', PRESSURE_MAX_RSS_MB: '0' }));
  t.teardown(() => app.close());
  await app.ready();
  // The same discovery the k6 scripts' setup() does: GET /v2/models/{m}, once the gateway has
  // heard every worker.
  for (const model of MODEL_NAMES) {
    const served = `lt-${model}-${tag}`;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while ((await app.inject({ url: `/v2/models/${served}/ready` })).statusCode !== 200) {
      if (Date.now() > deadline) throw new Error(`gateway never saw model ${served} ready`);
      await delay(100);
    }
    const meta = await app.inject({ url: `/v2/models/${served}`, headers: HEADERS });
    shapes[model] = shapeFromMetadata(served, meta.json());
  }
});

function shape(model: string): ModelShape {
  const s = shapes[model];
  if (s === undefined) throw new Error(`no shape for ${model}`);
  return s;
}

async function post(route: Route, s: ModelShape, body: unknown) {
  return app.inject({
    method: 'POST',
    url: routePath(route, s.name),
    headers: HEADERS,
    payload: JSON.stringify(body),
  });
}

t.test('every route family body of every model is accepted and answered', async (t) => {
  for (const model of MODEL_NAMES) {
    for (const route of ROUTES) {
      const s = shape(model);
      const res = await post(route, s, routeBody(route, s, [uniqueRow(s.features, 1)]));
      t.equal(res.statusCode, 200, `${route} ${model}`);
      const reply = res.json();
      if (route === 'v2') t.ok(Array.isArray(reply.outputs), `${route} ${model} has outputs`);
      else t.equal(reply.predictions.length, 1, `${route} ${model} has one prediction`);
    }
  }
});

t.test('the cache-hit body is answered from the cache the second time', async (t) => {
  const s = shape('fast');
  const body = routeBody('predict', s, [fixedRow(s.features)]);
  const first = await post('predict', s, body);
  t.equal(first.statusCode, 200);
  const second = await post('predict', s, body);
  t.equal(second.statusCode, 200);
  t.equal(second.json().cached, true);
});

t.test('cache-miss bodies are never answered from the cache', async (t) => {
  const s = shape('fast');
  for (let seed = 1_000; seed < 1_010; seed++) {
    const res = await post('predict', s, routeBody('predict', s, [uniqueRow(s.features, seed)]));
    t.equal(res.statusCode, 200);
    t.equal(res.json().cached, false, `seed ${seed}`);
  }
});

t.test('the mixed workload reaches every model', async (t) => {
  for (let i = 0; i < 6; i++) {
    const s = shape(mixedModel(i));
    const res = await post(
      'predict',
      s,
      routeBody('predict', s, [uniqueRow(s.features, 2_000 + i)]),
    );
    t.equal(res.statusCode, 200, `request ${i} to ${s.name}`);
  }
});

t.test("the bench harness's request sources produce accepted bodies", async (t) => {
  const byServedName: Record<string, ModelShape> = {};
  for (const model of MODEL_NAMES) byServedName[model] = shape(model);
  const workloads: Workload[] = [
    { kind: 'unique', model: 'fast', route: 'predict' },
    { kind: 'unique', model: 'intermediate', route: 'v1' },
    { kind: 'unique', model: 'slow', route: 'v2' },
    { kind: 'fixed', model: 'fast', route: 'predict' },
    { kind: 'mixed' },
  ];
  for (const workload of workloads) {
    const next = requestSource(workload, byServedName, 3_000_000);
    for (let i = 0; i < 6; i++) {
      const { path, body } = next();
      const res = await app.inject({ method: 'POST', url: path, headers: HEADERS, payload: body });
      t.equal(res.statusCode, 200, `${workload.kind} ${path}`);
    }
  }
});

t.test(
  'a body of the wrong width is refused as BAD_INPUT, so the checks above can fail',
  async (t) => {
    const s = shape('fast');
    const wide = { ...s, features: s.features + 1 };
    for (const route of ROUTES) {
      const res = await post(route, s, routeBody(route, wide, [uniqueRow(wide.features, 5)]));
      t.equal(res.statusCode, 400, route);
      t.equal(res.json().code, 'BAD_INPUT', route);
    }
  },
);
