import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { exportModels } from '../src/export-models.js';
import { MODEL_NAMES } from '../src/models.js';

const MODELS_DIR = fileURLToPath(new URL('../../', import.meta.url));

t.test('re-running the export reproduces the committed files byte for byte', async (t) => {
  const outDir = await mkdtemp(join(tmpdir(), 'mlapi-export-'));
  t.teardown(() => rm(outDir, { recursive: true, force: true }));
  const result = await exportModels({ outDir, logger: null });
  t.same(
    result.models.map((m) => m.manifest.name),
    [...MODEL_NAMES],
  );
  const files = [
    ...MODEL_NAMES.flatMap((name) => [`${name}/model.onnx`, `${name}/model.json`]),
    'reference.json',
  ];
  for (const file of files) {
    const fresh = await readFile(join(outDir, file));
    const committed = await readFile(join(MODELS_DIR, file));
    t.ok(fresh.equals(committed), `${file} is identical (${fresh.length} bytes)`);
  }
});

t.test(
  'the committed second version of fast is its export with --version 2 --seed 7',
  async (t) => {
    const outDir = await mkdtemp(join(tmpdir(), 'mlapi-export-'));
    t.teardown(() => rm(outDir, { recursive: true, force: true }));
    const result = await exportModels({
      outDir,
      logger: null,
      models: ['fast'],
      version: '2',
      seed: 7,
    });
    const manifest = result.models[0]?.manifest;
    t.equal(manifest?.version, '2');
    const v1 = JSON.parse(await readFile(join(MODELS_DIR, 'fast', 'model.json'), 'utf8'));
    t.not(manifest?.sha256, v1.sha256, 'another graph');
    for (const file of ['fast/model.onnx', 'fast/model.json', 'reference.json']) {
      const fresh = await readFile(join(outDir, file));
      const committed = await readFile(join(MODELS_DIR, 'v2', file));
      t.ok(fresh.equals(committed), `v2/${file} is identical (${fresh.length} bytes)`);
    }
  },
);

t.test('an export version must follow the version pattern', async (t) => {
  await t.rejects(exportModels({ version: '../2', logger: null }), TypeError);
});

t.test('a model below the accuracy floor fails the export with LOW_ACCURACY', async (t) => {
  const outDir = await mkdtemp(join(tmpdir(), 'mlapi-export-'));
  t.teardown(() => rm(outDir, { recursive: true, force: true }));
  // fast gets 43 of 45 held-out rows right, so a floor of 1 must stop the export.
  await t.rejects(exportModels({ outDir, models: ['fast'], minAccuracy: 1 }), {
    code: 'LOW_ACCURACY',
  });
});
