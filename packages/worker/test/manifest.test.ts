import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadModel } from '../src/index.js';
import { modelDir } from './helpers/fixtures.js';

// The manifest's rules live in @mlapi/contracts (tested there); this checks that the worker
// turns a broken manifest into its own start-up error, naming the field.
const valid = {
  name: 'fast',
  version: '1',
  platform: 'onnxruntime',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
  labels: ['setosa', 'versicolor', 'virginica'],
};

const broken: [string, string, unknown][] = [
  ['a name that is not a queue-safe name', 'name', { ...valid, name: 'Fast Model' }],
  ['labels that do not match the classes', 'labels', { ...valid, labels: ['a', 'b'] }],
];

t.equal(broken.length, 2);
for (const [what, subject, manifest] of broken) {
  t.test(`a model.json with ${what} fails to load naming ${subject}`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'mlapi-manifest-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'model.json'), JSON.stringify(manifest));
    await t.rejects(loadModel(dir), { code: 'WORKER_MANIFEST', subject });
  });
}

t.test('the content hash in model.json must be that of model.onnx', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mlapi-manifest-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await symlink(join(modelDir('fast'), 'model.onnx'), join(dir, 'model.onnx'));
  await writeFile(join(dir, 'model.json'), JSON.stringify({ ...valid, sha256: '0'.repeat(64) }));
  await t.rejects(loadModel(dir), { code: 'WORKER_MANIFEST', subject: 'sha256' });
});

t.test('a model.json without a content hash is given that of its graph', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mlapi-manifest-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await symlink(join(modelDir('fast'), 'model.onnx'), join(dir, 'model.onnx'));
  await writeFile(join(dir, 'model.json'), JSON.stringify(valid));
  const model = await loadModel(dir);
  t.teardown(() => model.release());
  const bytes = await readFile(join(modelDir('fast'), 'model.onnx'));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  t.equal(model.spec.sha256, sha256);
  t.equal(model.manifest.sha256, sha256, 'announced with the manifest');
});
