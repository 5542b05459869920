import { MODEL_NAMES, type ModelShape, shapeFromMetadata } from '../k6/lib/payloads.js';
import { BenchError } from './errors.js';
import { getJson } from './http-probe.js';
import type { ProgressLine } from './progress.js';
import { queueConsumers } from './queue-consumers.js';

// What the harness asks of the stack it measures, beside the load itself.

/** Waits for a readiness URL to answer 200 (the gateway has heard from a new worker). */
export async function awaitReady(
  url: string,
  headers: Readonly<Record<string, string>>,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await getJson(url, { ...headers })).status !== 200) {
    if (Date.now() > deadline) throw new BenchError('BENCH_NOT_READY', `${url} never answered 200`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** PUT (or, for null, DELETE) fast's traffic policy before a version cell. */
export async function setFastPolicy(
  url: string,
  headers: Readonly<Record<string, string>>,
  policy: object | null,
): Promise<void> {
  const res = await fetch(`${url}/admin/models/fast/traffic`, {
    method: policy === null ? 'DELETE' : 'PUT',
    headers: { ...headers, ...(policy === null ? {} : { 'content-type': 'application/json' }) },
    ...(policy === null ? {} : { body: JSON.stringify(policy) }),
  });
  if (res.status !== 200) {
    throw new BenchError(
      'BENCH_NOT_READY',
      `setting fast's traffic policy: ${res.status} ${await res.text()}`,
    );
  }
}

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Says loudly when a model queue has consumers the harness did not start. */
export async function warnForeignConsumers(
  progress: ProgressLine,
  expected: Readonly<Record<string, number>>,
): Promise<void> {
  // The harness serves each model at the version its model.json names: "1".
  const queueOf = (model: string) => `mlapi.${model}.1`;
  const queues = Object.keys(expected).map(queueOf);
  const counts = await queueConsumers(AMQP_URL, queues);
  for (const [model, want] of Object.entries(expected)) {
    const have = counts[queueOf(model)] ?? 0;
    if (have > want) {
      progress.note(
        `WARNING: ${queueOf(model)} has ${have} consumers but the harness started ${want}: another ` +
          'stack shares the broker and will take part of the load; figures are not comparable',
      );
    }
  }
}

export async function fetchShapes(
  url: string,
  headers: Readonly<Record<string, string>>,
): Promise<Record<string, ModelShape>> {
  const shapes: Record<string, ModelShape> = {};
  for (const name of MODEL_NAMES) {
    const reply = await getJson(`${url}/v2/models/${name}`, { ...headers });
    if (reply.status !== 200) {
      throw new BenchError(
        'BENCH_NOT_READY',
        `GET ${url}/v2/models/${name} answered ${reply.status}`,
      );
    }
    shapes[name] = shapeFromMetadata(name, reply.body);
  }
  return shapes;
}
