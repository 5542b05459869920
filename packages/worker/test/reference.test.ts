import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PredictResult } from '@mlapi/contracts';
import t from 'tap';
import { MODEL_NAMES, modelDir, reference, startClient, startWorker } from './helpers/fixtures.js';

for (const name of MODEL_NAMES) {
  t.test(
    `the ${name} worker answers the reference inputs with the reference outputs`,
    async (t) => {
      const ref = (await reference())[name];
      const { worker, queue } = await startWorker(t, name);
      const client = await startClient(t);
      const { labels, version, sha256 } = worker.model.spec;
      const manifest = JSON.parse(await readFile(join(modelDir(name), 'model.json'), 'utf8'));
      t.equal(sha256, manifest.sha256, "the spec carries the manifest's content hash");

      const check = (result: PredictResult, rows: number[], what: string): void => {
        t.equal(result.model_name, name, `${what}: model_name`);
        t.equal(result.model_version, version, `${what}: model_version`);
        t.equal(result.model_sha256, sha256, `${what}: the graph that answered`);
        t.same(
          result.predictions,
          rows.map((r) => ref.predictions[r]),
          `${what}: predictions`,
        );
        t.same(
          result.labels,
          rows.map((r) => labels[ref.predictions[r] as number]),
          `${what}: labels`,
        );
        if (ref.labels !== undefined)
          t.same(
            result.labels,
            rows.map((r) => ref.labels?.[r]),
          );
        let worst = 0;
        rows.forEach((r, i) => {
          const want = ref.probabilities[r] ?? [];
          const got = result.probabilities[i] ?? [];
          t.equal(got.length, want.length, `${what}: row ${r} has every class`);
          want.forEach((p, k) => {
            worst = Math.max(worst, Math.abs((got[k] ?? Number.NaN) - p));
          });
        });
        t.ok(worst <= 1e-5, `${what}: probabilities within 1e-5 (worst ${worst})`);
      };

      const all = ref.inputs.map((_, r) => r);
      const whole = await client.call<PredictResult>(
        queue,
        { inputs: ref.inputs },
        { type: 'predict' },
      );
      check(whole, all, 'all rows in one request');

      const single = await Promise.all(
        ref.inputs.map((row) =>
          client.call<PredictResult>(queue, { inputs: [row] }, { type: 'predict' }),
        ),
      );
      single.forEach((result, r) => {
        check(result, [r], `row ${r} alone`);
      });
    },
  );
}
