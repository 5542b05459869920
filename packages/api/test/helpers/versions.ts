import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelQueue } from '@mlapi/contracts';
import { connect } from 'amqplib';
import type { FastifyInstance } from 'fastify';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Test } from 'tap';
import { AMQP_URL, ROOT, unique } from './stack.js';

/** The committed second version of `fast` (models/v2/fast: another seed, other answers). */
export const FAST_V1_DIR = join(ROOT, 'models', 'fast');
export const FAST_V2_DIR = join(ROOT, 'models', 'v2', 'fast');

/**
 * A model directory serving `source`'s graph as `name` at `version` (a unique name keeps other
 * tests' workers off its queue). `manifest` overrides fields. Removed, with its queue, at teardown.
 */
export async function versionDir(
  t: Test,
  name: string,
  source: string,
  version: string,
  manifest: Record<string, unknown> = {},
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlapi-api-version-'));
  // A copy does not claim the shipped model's aliases unless `manifest` gives it some.
  const { aliases: _aliases, ...base } = JSON.parse(
    await readFile(join(source, 'model.json'), 'utf8'),
  );
  await writeFile(join(dir, 'model.json'), JSON.stringify({ ...base, name, version, ...manifest }));
  await symlink(join(source, 'model.onnx'), join(dir, 'model.onnx'));
  t.teardown(async () => {
    await rm(dir, { recursive: true, force: true });
    await deleteQueue(modelQueue(name, version));
  });
  return dir;
}

/** A unique name for `fast` served at two versions: "1" (models/fast) and "2" (models/v2/fast). */
export async function twoVersions(t: Test): Promise<{ name: string; v1: string; v2: string }> {
  const name = unique('t-versions');
  return {
    name,
    v1: await versionDir(t, name, FAST_V1_DIR, '1'),
    v2: await versionDir(t, name, FAST_V2_DIR, '2'),
  };
}

async function deleteQueue(queue: string): Promise<void> {
  const conn = await connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    await ch.deleteQueue(queue);
    await ch.close();
  } finally {
    await conn.close();
  }
}

/** A graph run directly with onnxruntime: an oracle independent of the worker and gateway. */
export async function graphOracle(dir: string) {
  const session = await InferenceSession.create(join(dir, 'model.onnx'), { intraOpNumThreads: 1 });
  return {
    async run(rows: number[][]): Promise<{ predictions: number[]; probabilities: number[][] }> {
      const tensor = new Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 4]);
      const out = (await session.run({ input: tensor })).probabilities as Tensor;
      const data = out.data as Float32Array;
      const probabilities: number[][] = [];
      const predictions: number[] = [];
      for (let r = 0; r < rows.length; r++) {
        const row = Array.from(data.subarray(r * 3, r * 3 + 3));
        probabilities.push(row);
        predictions.push(row.indexOf(Math.max(...row)));
      }
      return { predictions, probabilities };
    },
    release: () => session.release(),
  };
}

/** The largest absolute difference between two probability matrices. */
export function maxDifference(a: number[][], b: number[][]): number {
  let worst = a.length === b.length ? 0 : Number.POSITIVE_INFINITY;
  a.forEach((row, i) => {
    row.forEach((p, j) => {
      worst = Math.max(worst, Math.abs(p - (b[i]?.[j] ?? Number.NaN)) || 0);
      if (Number.isNaN(b[i]?.[j] ?? Number.NaN)) worst = Number.POSITIVE_INFINITY;
    });
  });
  return worst;
}

/** The value of one Prometheus sample on /metrics (0 when absent). */
export async function metricValue(
  app: FastifyInstance,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const text = (await app.inject({ url: '/metrics' })).body;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const match = /^[^{]+\{([^}]*)\} (\S+)$/.exec(line);
    if (match === null) continue;
    const have = Object.fromEntries(
      [...(match[1] as string).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(match[2]);
  }
  return 0;
}

/** A row no other request of the run sends, so it reaches a worker (a cache miss). */
export function freshRow(i: number, salt: number): number[] {
  return [
    4.5 + (i % 40) * 0.08,
    2.2 + (salt % 100) * 0.02,
    1 + ((i * 7) % 59) * 0.1,
    0.1 + i * 1e-6,
  ];
}
