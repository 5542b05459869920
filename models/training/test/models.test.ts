import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseManifest } from '@mlapi/contracts';
import t from 'tap';
import { DEFAULT_OPTIONS } from '../src/export-options.js';
import { createSession, predict } from '../src/inference.js';
import { LABELS, loadIris } from '../src/iris.js';
import type { Manifest } from '../src/manifest.js';
import { MODEL_NAMES } from '../src/models.js';
import { decodeModel } from '../src/onnx-export.js';
import { Prng } from '../src/prng.js';
import { stratifiedSplit } from '../src/split.js';

const MODELS_DIR = fileURLToPath(new URL('../../', import.meta.url));

interface Reference {
  version: string;
  inputs: number[][];
  predictions: number[];
  probabilities: number[][];
}

const readManifest = async (name: string) =>
  JSON.parse(await readFile(`${MODELS_DIR}${name}/model.json`, 'utf8')) as Manifest;
const readModel = (name: string) => readFile(`${MODELS_DIR}${name}/model.onnx`);

/** Parameters and FLOPs per row recomputed from the graph itself, not from the exporter's notes. */
function graphCost(bytes: Uint8Array) {
  const graph = decodeModel(bytes).graph;
  const dims = new Map<string, number[]>();
  for (const init of graph?.initializer ?? [])
    dims.set(init.name ?? '', (init.dims ?? []).map(Number));
  let parameters = 0;
  for (const d of dims.values()) parameters += d.reduce((a, b) => a * b, 1);
  let flops = 0;
  let width = 4;
  for (const node of graph?.node ?? []) {
    if (node.opType === 'Gemm' || node.opType === 'MatMul') {
      const [k, n] = dims.get(node.input?.[1] ?? '') ?? [0, 0];
      flops += 2 * (k ?? 0) * (n ?? 0) + (node.opType === 'Gemm' ? (n ?? 0) : 0);
      width = n ?? 0;
    } else if (node.opType === 'Relu') {
      flops += width;
    } else if (node.opType === 'Softmax') {
      flops += 3 * width;
    }
  }
  return { parameters, flops, ops: (graph?.node ?? []).map((n) => n.opType ?? '') };
}

for (const name of MODEL_NAMES) {
  t.test(`${name}: the manifest follows the contract and describes this model.onnx`, async (t) => {
    const manifest = await readManifest(name);
    const bytes = await readModel(name);
    t.match(manifest, {
      name,
      version: '1',
      platform: 'onnxruntime',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
      labels: [...LABELS],
    });
    t.same(manifest.aliases, [`${name}-iris-model`], "the original system's name is an alias");
    t.equal(manifest.sha256, createHash('sha256').update(bytes).digest('hex'));
    t.doesNotThrow(() => parseManifest(manifest), 'workers and the gateway accept it');
    const cost = graphCost(bytes);
    t.equal(manifest.parameters, cost.parameters, 'parameter count matches the graph');
    t.equal(manifest.flopsPerRow, cost.flops, 'FLOPs per row match the graph');
  });

  t.test(`${name}: is a real dense network in a standard opset`, async (t) => {
    const bytes = await readModel(name);
    const model = decodeModel(bytes);
    t.same(
      model.opsetImport.map((o) => [o.domain, Number(o.version)]),
      [['', 17]],
    );
    const { ops, parameters } = graphCost(bytes);
    t.ok(
      ops.every((op) => ['Gemm', 'MatMul', 'Relu', 'Softmax'].includes(op)),
      ops.join(','),
    );
    t.equal(ops.at(-1), 'Softmax');
    t.ok(
      ops.filter((op) => op === 'Gemm' || op === 'MatMul').length >= 3,
      'at least 3 dense layers',
    );
    t.ok(parameters > 10_000, `${parameters} parameters`);
    t.equal(model.graph?.input?.[0]?.name, 'input');
    t.equal(model.graph?.output?.[0]?.name, 'probabilities');
  });

  t.test(`${name}: ONNX Runtime reaches at least 0.9 on the held-out rows`, async (t) => {
    const data = await loadIris(DEFAULT_OPTIONS.dataPath);
    const split = stratifiedSplit(
      data.labels,
      DEFAULT_OPTIONS.testFraction,
      new Prng(DEFAULT_OPTIONS.seed),
    );
    const session = await createSession(await readModel(name));
    t.teardown(() => session.release());
    const rows = split.test.map((i) => data.features[i] as readonly number[]);
    const { predictions, probabilities } = await predict(session, rows, 3);
    const correct = predictions.filter((p, i) => p === data.labels[split.test[i] as number]).length;
    t.ok(correct / rows.length >= 0.9, `${correct}/${rows.length}`);
    t.equal(Math.round((correct / rows.length) * 1e4) / 1e4, (await readManifest(name)).accuracy);
    for (const row of probabilities) t.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  });

  t.test(`${name}: answers the reference inputs with the reference outputs`, async (t) => {
    const all = JSON.parse(await readFile(`${MODELS_DIR}reference.json`, 'utf8')) as Record<
      string,
      Reference
    >;
    const ref = all[name];
    if (!ref) throw new Error(`no reference for ${name}`);
    t.equal(ref.version, '1');
    t.ok(ref.inputs.length >= 45, 'held-out rows plus edge cases');
    const session = await createSession(await readModel(name));
    t.teardown(() => session.release());
    const out = await predict(session, ref.inputs, 3);
    t.same(out.predictions, ref.predictions);
    let worst = 0;
    for (const [i, row] of out.probabilities.entries()) {
      for (const [j, p] of row.entries())
        worst = Math.max(worst, Math.abs(p - (ref.probabilities[i]?.[j] ?? Number.NaN)));
    }
    t.ok(worst <= 1e-5, `max deviation ${worst}`);
    // Rows one at a time give the same answers as the batch: the graph has no cross-row coupling.
    const single = await predict(session, [ref.inputs[0] as number[]], 3);
    t.ok(Math.abs((single.probabilities[0]?.[0] ?? 0) - (ref.probabilities[0]?.[0] ?? 1)) <= 1e-5);
  });
}

t.test('compute per row steps up about ten times from fast to intermediate to slow', async (t) => {
  const [fast, intermediate, slow] = await Promise.all(MODEL_NAMES.map(readManifest));
  const up1 = (intermediate?.flopsPerRow ?? 0) / (fast?.flopsPerRow ?? 1);
  const up2 = (slow?.flopsPerRow ?? 0) / (intermediate?.flopsPerRow ?? 1);
  t.ok(up1 >= 7 && up1 <= 14, `intermediate/fast = ${up1.toFixed(1)}`);
  t.ok(up2 >= 7 && up2 <= 14, `slow/intermediate = ${up2.toFixed(1)}`);
});
