import type { PredictResult } from '@mlapi/contracts';
import type { RpcBatchItem, RpcContext } from '@mlapi/rpc';
import t from 'tap';
import { BatchPredictor, loadModel, type OnnxModel } from '../src/index.js';
import { MODEL_NAMES, modelDir, reference } from './helpers/fixtures.js';

const noop = (): void => {};
const log = { debug: noop, info: noop, warn: noop, error: noop };

function item(request: unknown, context: Partial<RpcContext> = {}): RpcBatchItem<unknown> {
  return {
    request,
    context: {
      requestId: 'r',
      correlationId: 'c',
      type: 'predict',
      deadline: undefined,
      headers: {},
      redelivered: false,
      log,
      ...context,
    },
  };
}

function results(outcomes: Awaited<ReturnType<BatchPredictor['predict']>>): PredictResult[] {
  return outcomes.map((o) => {
    if (!o.ok) throw o.error;
    return o.result;
  });
}

t.test('the model is loaded once per process, however often it is asked for', async (t) => {
  const [a, b] = await Promise.all([loadModel(modelDir('fast')), loadModel(modelDir('fast'))]);
  t.equal(a, b);
  t.equal(await loadModel(`${modelDir('fast')}/`), a, 'the same directory spelled differently');
});

t.test('a missing model directory is a WORKER_MANIFEST error', async (t) => {
  await t.rejects(loadModel('/nonexistent-model-dir'), { code: 'WORKER_MANIFEST' });
});

t.test('bad options are rejected naming the option', async (t) => {
  const model = await loadModel(modelDir('fast'));
  t.throws(() => new BatchPredictor(model, { batchMaxRows: 0 }), TypeError);
  t.throws(() => new BatchPredictor(model, { maxRowsPerRequest: 1.5 }), TypeError);
});

for (const name of MODEL_NAMES) {
  t.test(
    `${name}: rows split across chunks of batchMaxRows give the same answers as one run`,
    async (t) => {
      const ref = (await reference())[name];
      const model: OnnxModel = await loadModel(modelDir(name));
      // Requests of 1..5 rows, so that chunk boundaries fall inside requests.
      const requests: number[][][] = [];
      for (let at = 0, size = 1; at < ref.inputs.length; at += size, size = (size % 5) + 1) {
        requests.push(ref.inputs.slice(at, at + size));
      }
      const whole = new BatchPredictor(model, { batchMaxRows: 1024 });
      const chunked = new BatchPredictor(model, { batchMaxRows: 3 });
      const before = model.runs;
      const one = results(await whole.predict(requests.map((inputs) => item({ inputs }))));
      t.equal(model.runs - before, 1, 'all requests went into a single session.run');
      const many = results(await chunked.predict(requests.map((inputs) => item({ inputs }))));
      t.equal(model.runs - before - 1, Math.ceil(ref.inputs.length / 3), 'one run per chunk');
      t.same(many, one);
      t.same(
        one.flatMap((r) => r.predictions),
        ref.predictions,
        'and the predictions are the reference ones',
      );
    },
  );
}

t.test('an expired request is answered TIMEOUT without inference', async (t) => {
  const model = await loadModel(modelDir('fast'));
  const predictor = new BatchPredictor(model, { now: () => 1_000 });
  const before = model.runs;
  const [outcome] = await predictor.predict([
    item({ inputs: [[5.1, 3.5, 1.4, 0.2]] }, { deadline: 999 }),
  ]);
  t.equal(model.runs, before, 'no session.run');
  t.match(outcome, { ok: false, error: { code: 'TIMEOUT' } });
});

t.test('a method other than predict is BAD_INPUT', async (t) => {
  const model = await loadModel(modelDir('fast'));
  const [outcome] = await new BatchPredictor(model).predict([
    item({ inputs: [[5.1, 3.5, 1.4, 0.2]] }, { type: 'call' }),
  ]);
  t.match(outcome, { ok: false, error: { code: 'BAD_INPUT' } });
});

t.test('a failing session.run fails only the requests that were inferred', async (t) => {
  const real = await loadModel(modelDir('fast'));
  const failure = new Error('native failure');
  const broken = {
    spec: real.spec,
    run: async (): Promise<Float32Array> => {
      throw failure;
    },
  };
  const outcomes = await new BatchPredictor(broken).predict([
    item({ inputs: [[1, 2, 3, 4]] }),
    item({ inputs: [[1, 2, 3]] }),
  ]);
  t.equal(outcomes[0]?.ok === false && outcomes[0].error, failure, 'the inferred request fails');
  t.match(outcomes[1], { ok: false, error: { code: 'BAD_INPUT' } }, 'the invalid one says why');
});
