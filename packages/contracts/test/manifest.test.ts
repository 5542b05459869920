import t from 'tap';
import { binOf, buildDriftProfile, ManifestError, parseManifest, psi } from '../src/index.js';

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
  features: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
  sha256: 'a'.repeat(64),
  aliases: ['fast-iris-model'],
  accuracy: 0.97,
};

t.test('a valid manifest yields the spec serving needs and keeps extra fields', async (t) => {
  const { manifest, spec } = parseManifest(valid);
  t.same(spec, {
    name: 'fast',
    version: '1',
    platform: 'onnxruntime',
    inputs: valid.inputs,
    outputs: valid.outputs,
    labels: ['setosa', 'versicolor', 'virginica'],
    inputName: 'input',
    outputName: 'probabilities',
    width: 4,
    classes: 3,
    sha256: 'a'.repeat(64),
    features: valid.features,
    aliases: ['fast-iris-model'],
    drift: null,
  });
  t.equal(manifest.accuracy, 0.97);
  t.ok(Object.isFrozen(manifest.inputs[0]), 'the manifest is frozen all the way down');
  t.ok(Object.isFrozen(spec), 'the spec is frozen');
});

t.test('optional fields may be absent; a numeric version reads as a string', async (t) => {
  const { sha256: _s, features: _f, aliases: _a, ...bare } = valid;
  const { spec } = parseManifest({ ...bare, version: 2 });
  t.equal(spec.version, '2');
  t.equal(spec.sha256, null);
  t.same(spec.features, []);
  t.same(spec.aliases, []);
});

const broken: [string, string, unknown][] = [
  ['a non-object', '(root)', []],
  ['a name that is not a queue-safe name', 'name', { ...valid, name: 'Fast Model' }],
  ['a missing version', 'version', { ...valid, version: undefined }],
  ['a version outside the pattern', 'version', { ...valid, version: 'v 2' }],
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
  ['a sha256 that is not a hex digest', 'sha256', { ...valid, sha256: 'abc' }],
  ['features that do not name every column', 'features', { ...valid, features: ['a'] }],
  ['aliases that are not a list', 'aliases', { ...valid, aliases: 'fast-iris-model' }],
  ['an alias outside the name pattern', 'aliases[1]', { ...valid, aliases: ['a', 'Fast Iris'] }],
  ['an alias equal to the name', 'aliases[0]', { ...valid, aliases: ['fast'] }],
  ['an alias listed twice', 'aliases[1]', { ...valid, aliases: ['a', 'a'] }],
];

t.equal(broken.length, 17, 'every broken case is listed');
for (const [what, field, manifest] of broken) {
  t.test(`a manifest with ${what} is rejected naming ${field}`, async (t) => {
    t.throws(() => parseManifest(manifest), { code: 'MANIFEST_INVALID', field });
    try {
      parseManifest(manifest);
    } catch (err) {
      t.ok(err instanceof ManifestError, 'it is a ManifestError');
    }
  });
}

t.test('a drift profile is checked against the columns and classes, and kept', async (t) => {
  const drift = buildDriftProfile(
    [
      [5.1, 3.5, 1.4, 0.2],
      [6.3, 2.9, 5.6, 1.8],
      [5.8, 2.7, 4.1, 1.0],
    ],
    [0, 2, 1],
    valid.features,
    3,
  );
  t.equal(drift.features.length, 4);
  t.same(drift.classes, [1, 1, 1]);
  for (const f of drift.features) {
    t.equal(f.counts.length, f.edges.length + 1, `${f.name}: one count per bin`);
    t.equal(
      f.counts.reduce((a, b) => a + b, 0),
      3,
      `${f.name}: every row counted`,
    );
  }
  t.same(parseManifest({ ...valid, drift }).spec.drift, drift);
  t.throws(() => parseManifest({ ...valid, drift: { ...drift, classes: [1, 2] } }), {
    code: 'MANIFEST_INVALID',
    field: 'drift.classes',
  });
  t.throws(
    () => parseManifest({ ...valid, drift: { ...drift, features: drift.features.slice(1) } }),
    { code: 'MANIFEST_INVALID', field: 'drift.features' },
  );
});

t.test('PSI is 0 for the same shares and grows with the shift', async (t) => {
  t.equal(psi([10, 20, 30], [10, 20, 30]), 0);
  t.ok(psi([10, 20, 30], [20, 40, 60]) < 0.001, 'the same shares at another scale');
  const small = psi([20, 20, 20, 20, 20], [22, 19, 20, 21, 18]);
  const large = psi([20, 20, 20, 20, 20], [0, 0, 0, 10, 90]);
  t.ok(small < 0.1, `small: ${small}`);
  t.ok(large > 0.25, `large: ${large}`);
  t.equal(binOf([1, 2, 3], 0.5), 0);
  t.equal(binOf([1, 2, 3], 2), 2, 'a value on a cut point goes to the upper bin');
  t.equal(binOf([1, 2, 3], 9), 3);
});
