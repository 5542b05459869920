import t from 'tap';
import { parseManifest } from '../src/index.js';

const valid = {
  name: 'fast',
  version: '1',
  platform: 'onnxruntime',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [
    { name: 'label', datatype: 'INT64', shape: [-1] },
    { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
  ],
  labels: ['setosa', 'versicolor', 'virginica'],
  accuracy: 0.97,
};

t.test('a valid manifest yields the spec inference needs and keeps extra fields', async (t) => {
  const { manifest, spec } = parseManifest(valid);
  t.same(spec, {
    name: 'fast',
    version: '1',
    inputName: 'input',
    outputName: 'probabilities',
    width: 4,
    classes: 3,
    labels: ['setosa', 'versicolor', 'virginica'],
  });
  t.equal(manifest.accuracy, 0.97);
  t.ok(Object.isFrozen(manifest.inputs[0]), 'the manifest is frozen all the way down');
});

const broken: [string, string, unknown][] = [
  ['a non-object', '(root)', []],
  ['a name that is not a queue-safe name', 'name', { ...valid, name: 'Fast Model' }],
  ['a missing version', 'version', { ...valid, version: undefined }],
  ['no inputs', 'inputs', { ...valid, inputs: [] }],
  ['two inputs', 'inputs', { ...valid, inputs: [valid.inputs[0], valid.inputs[0]] }],
  [
    'a fixed batch dimension',
    'inputs[0].shape',
    { ...valid, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4] }] },
  ],
  [
    'a non-FP32 input',
    'inputs[0].datatype',
    { ...valid, inputs: [{ name: 'input', datatype: 'FP64', shape: [-1, 4] }] },
  ],
  ['no probabilities output', 'outputs', { ...valid, outputs: [valid.outputs[0]] }],
  ['labels that do not match the classes', 'labels', { ...valid, labels: ['a', 'b'] }],
  ['a non-string label', 'labels[1]', { ...valid, labels: ['a', 2, 'c'] }],
];

for (const [what, subject, manifest] of broken) {
  t.test(`a manifest with ${what} is rejected naming ${subject}`, async (t) => {
    t.throws(() => parseManifest(manifest), { code: 'WORKER_MANIFEST', subject });
  });
}
