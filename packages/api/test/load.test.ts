import type { AddressInfo } from 'node:net';
import t from 'tap';
import {
  MODEL_NAMES,
  type ModelName,
  oracle,
  reference,
  spawnWorker,
  startGateway,
  uniqueModel,
  waitLive,
} from './helpers/stack.js';

const TOTAL = 10_000;
const CONCURRENCY = 64;

t.test(
  '10,000 distinct requests at concurrency 64 each get the answer for their own input',
  async (t) => {
    const ref = await reference();
    const names = {} as Record<ModelName, string>;
    for (const model of MODEL_NAMES) {
      const { name, dir } = await uniqueModel(t, model);
      spawnWorker(t, dir);
      names[model] = name;
    }
    const gw = await startGateway(t);
    for (const model of MODEL_NAMES) await waitLive(gw, names[model]);
    await gw.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = gw.app.server.address() as AddressInfo;

    // Every request gets a row no other request has: a reference row nudged by its index.
    const jobs = Array.from({ length: TOTAL }, (_, i) => {
      const model = MODEL_NAMES[i % 3] as ModelName;
      const base = ref[model].inputs[i % ref[model].inputs.length] as number[];
      const row = base.map((v, j) => Math.round((v + ((i * (j + 1)) % 997) / 5000) * 1e4) / 1e4);
      return { model, row };
    });
    const distinct = new Set(jobs.map((j) => `${j.model}:${j.row.join(',')}`));
    t.equal(distinct.size, TOTAL, 'all inputs are distinct');

    // The expected answers, from onnxruntime directly (checked against reference.json first).
    const expected: { predictions: number[]; probabilities: number[][] }[] = new Array(TOTAL);
    for (const model of MODEL_NAMES) {
      const o = await oracle(model);
      const check = await o.run(ref[model].inputs);
      t.same(
        check.predictions,
        ref[model].predictions,
        `the oracle agrees with reference.json (${model})`,
      );
      const mine = jobs.map((j, i) => ({ j, i })).filter(({ j }) => j.model === model);
      const out = await o.run(mine.map(({ j }) => j.row));
      mine.forEach(({ i }, k) => {
        expected[i] = {
          predictions: [out.predictions[k] as number],
          probabilities: [out.probabilities[k] as number[]],
        };
      });
      await o.release();
    }

    let next = 0;
    let wrong = 0;
    let failed = 0;
    let cachedHits = 0;
    const url = `http://127.0.0.1:${port}/predict`;
    const worker = async () => {
      while (next < TOTAL) {
        const i = next++;
        const job = jobs[i] as (typeof jobs)[number];
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': `load-${i}` },
          body: JSON.stringify({ model_name: names[job.model], input_data: [job.row] }),
        });
        const body = (await res.json()) as {
          predictions: number[];
          probabilities: number[][];
          request_id: string;
          cached: boolean;
        };
        if (res.status !== 200) {
          if (failed++ < 5) t.fail(`request ${i}: ${res.status} ${JSON.stringify(body)}`);
          continue;
        }
        if (body.cached) cachedHits++;
        const want = expected[i] as { predictions: number[]; probabilities: number[][] };
        const probsClose = (body.probabilities[0] ?? []).every(
          (p, c) => Math.abs(p - (want.probabilities[0]?.[c] ?? Number.NaN)) < 1e-4,
        );
        if (
          body.request_id !== `load-${i}` ||
          body.predictions[0] !== want.predictions[0] ||
          !probsClose
        ) {
          if (wrong++ < 5)
            t.fail(`request ${i} got ${JSON.stringify(body)}, want ${JSON.stringify(want)}`);
        }
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (Date.now() - started) / 1000;
    t.comment(
      `${TOTAL} requests in ${seconds.toFixed(1)} s (${Math.round(TOTAL / seconds)} req/s)`,
    );
    t.equal(failed, 0, 'no request failed');
    t.equal(wrong, 0, 'every answer matches its own input');
    t.equal(cachedHits, 0, 'distinct inputs are never cache hits');
  },
);
