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

const LABELS = ['setosa', 'versicolor', 'virginica'];

t.test('every route family answers with its documented shape for each model', async (t) => {
  const ref = await reference();
  const models = {} as Record<ModelName, string>;
  for (const model of MODEL_NAMES) {
    const { name, dir } = await uniqueModel(t, model);
    spawnWorker(t, dir);
    models[model] = name;
  }
  const gw = await startGateway(t);
  for (const model of MODEL_NAMES) await waitLive(gw, models[model]);
  const { app } = gw;

  const list = (await app.inject({ url: '/v1/models' })).json();
  for (const model of MODEL_NAMES) t.ok(list.models.includes(models[model]), 'V1 lists the model');

  for (const model of MODEL_NAMES) {
    const name = models[model];
    const expected = ref[model];
    const rows = expected.inputs;
    t.test(`${model}: POST /predict`, async (t) => {
      const res = await app.inject({
        method: 'POST',
        url: '/predict',
        headers: { 'x-request-id': `req-${model}-1` },
        payload: { model_name: name, input_data: rows },
      });
      t.equal(res.statusCode, 200);
      t.equal(res.headers['x-request-id'], `req-${model}-1`, 'the request id is echoed');
      const body = res.json();
      t.same(Object.keys(body).sort(), [
        'cached',
        'labels',
        'model_name',
        'model_version',
        'prediction',
        'predictions',
        'probabilities',
        'request_id',
        'resolved_model_name',
      ]);
      t.equal(body.model_name, name);
      t.equal(body.resolved_model_name, name, 'a model name resolves to itself');
      t.same(body.prediction, body.predictions, "the original system's field holds the same");
      t.equal(body.model_version, expected.version);
      t.equal(body.request_id, `req-${model}-1`);
      t.equal(body.cached, false);
      t.same(body.predictions, expected.predictions, 'predictions equal the reference');
      t.same(
        body.labels,
        expected.predictions.map((p) => LABELS[p]),
        'labels name the predictions',
      );
      let far = 0;
      for (const [i, row] of expected.probabilities.entries()) {
        for (const [j, p] of row.entries()) {
          if (Math.abs(body.probabilities[i][j] - p) > 1e-5) far++;
        }
      }
      t.equal(far, 0, 'probabilities equal the reference within 1e-5');

      const again = await app.inject({
        method: 'POST',
        url: '/predict',
        payload: { model_name: name, input_data: rows, request_id: 'body-id' },
      });
      const second = again.json();
      t.equal(second.cached, true, 'the same rows again are a cache hit');
      t.equal(second.request_id, 'body-id', 'a body request_id is used');
      t.same(
        { ...second, cached: false, request_id: body.request_id },
        body,
        'a hit has the same body',
      );

      const flat = await app.inject({
        method: 'POST',
        url: '/predict',
        payload: { model_name: name, input_data: rows[3] },
      });
      t.same(flat.json().predictions, [expected.predictions[3]], 'a flat row is one instance');
    });

    t.test(`${model}: KServe V1`, async (t) => {
      const meta = await app.inject({ url: `/v1/models/${name}` });
      t.same(meta.json(), {
        name,
        resolved_model_name: name,
        version: expected.version,
        versions: [expected.version],
        ready: true,
      });
      const res = await app.inject({
        method: 'POST',
        url: `/v1/models/${name}:predict`,
        payload: { instances: rows.slice(0, 10) },
      });
      t.equal(res.statusCode, 200);
      const body = res.json();
      t.same(body.predictions, expected.predictions.slice(0, 10));
      t.equal(body.probabilities.length, 10);
      t.equal(body.model_name, name);
      t.equal(body.model_version, expected.version);
      t.type(body.cached, 'boolean');
    });

    t.test(`${model}: Open Inference Protocol V2`, async (t) => {
      const meta = (await app.inject({ url: `/v2/models/${name}` })).json();
      t.equal(meta.name, name);
      t.same(meta.versions, [expected.version]);
      t.same(meta.inputs, [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }]);
      t.same(
        meta.outputs.map((o: { name: string }) => o.name),
        ['predictions', 'probabilities', 'label'],
      );
      const ready = await app.inject({ url: `/v2/models/${name}/ready` });
      t.equal(ready.statusCode, 200);
      t.same(ready.json(), { name, resolved_model_name: name, ready: true });

      const n = 7;
      const nested = await app.inject({
        method: 'POST',
        url: `/v2/models/${name}/infer`,
        payload: {
          id: 'v2-nested',
          inputs: [{ name: 'input', shape: [n, 4], datatype: 'FP32', data: rows.slice(0, n) }],
        },
      });
      t.equal(nested.statusCode, 200);
      const body = nested.json();
      t.equal(body.model_name, name);
      t.equal(body.model_version, expected.version);
      t.equal(body.id, 'v2-nested');
      t.type(body.parameters.cached, 'boolean');
      const byName = Object.fromEntries(body.outputs.map((o: { name: string }) => [o.name, o]));
      t.same(byName.predictions, {
        name: 'predictions',
        datatype: 'INT64',
        shape: [n],
        data: expected.predictions.slice(0, n),
      });
      t.same(byName.label.shape, [n]);
      t.equal(byName.label.datatype, 'BYTES');
      t.same(
        byName.label.data,
        expected.predictions.slice(0, n).map((p) => LABELS[p]),
      );
      t.equal(byName.probabilities.datatype, 'FP32');
      t.same(byName.probabilities.shape, [n, 3]);
      t.equal(byName.probabilities.data.length, n * 3);

      const flat = await app.inject({
        method: 'POST',
        url: `/v2/models/${name}/infer`,
        payload: {
          inputs: [
            {
              name: 'input',
              shape: [2, 4],
              datatype: 'FP64',
              data: [...(rows[10] ?? []), ...(rows[11] ?? [])],
            },
          ],
          outputs: [{ name: 'label' }],
        },
      });
      t.equal(flat.statusCode, 200);
      const only = flat.json().outputs;
      t.equal(only.length, 1, 'only the requested output');
      t.same(
        only[0].data,
        [10, 11].map((i) => LABELS[expected.predictions[i] as number]),
      );
    });
  }
});

t.test('identical concurrent requests share one RPC; distinct ones are not shared', async (t) => {
  const { name, dir } = await uniqueModel(t, 'slow');
  spawnWorker(t, dir);
  const gw = await startGateway(t);
  await waitLive(gw, name);
  const rpc = gw.owned.deps.rpc;
  const before = (rpc.metrics() as { calls: number }).calls;
  const payload = { model_name: name, input_data: [[6.1, 2.8, 4.7, 1.2]] };
  const same = await Promise.all(
    Array.from({ length: 20 }, () => gw.app.inject({ method: 'POST', url: '/predict', payload })),
  );
  const afterSame = (rpc.metrics() as { calls: number }).calls;
  t.equal(afterSame - before, 1, 'twenty identical requests made one call');
  for (const res of same) {
    t.equal(res.statusCode, 200);
    t.equal(res.json().cached, false, 'none of them was served from the cache');
  }
  const distinct = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      gw.app.inject({
        method: 'POST',
        url: '/predict',
        payload: { model_name: name, input_data: [[6.1, 2.8, 4.7, 2 + i / 10]] },
      }),
    ),
  );
  // Distinct rows are never shared, though the coalescer may carry them in fewer messages
  // (coalesce.test.ts; with COALESCE_MAX_ROWS=0 it is one message each).
  const distinctCalls = (rpc.metrics() as { calls: number }).calls - afterSame;
  t.ok(distinctCalls >= 1 && distinctCalls <= 20, `distinct rows: ${distinctCalls} call(s)`);
  t.ok(distinct.every((r) => r.statusCode === 200));
  const served = distinct.map((r) => r.json());
  t.ok(
    served.every((b) => b.cached === false && b.predictions.length === 1),
    'each got its own uncached answer',
  );
  const o = await oracle('slow');
  t.teardown(() => o.release());
  const want = await o.run(Array.from({ length: 20 }, (_, i) => [6.1, 2.8, 4.7, 2 + i / 10]));
  t.same(
    served.map((b) => b.predictions[0]),
    want.predictions,
    'and each answer is for its own row',
  );
});

t.test('a failed request is not cached: the same rows succeed uncached afterwards', async (t) => {
  const { name, dir } = await uniqueModel(t, 'fast');
  const worker = spawnWorker(t, dir);
  const gw = await startGateway(t);
  await waitLive(gw, name);
  const payload = { model_name: name, input_data: [[5.9, 3.0, 5.1, 1.8]] };
  // A paused worker still counts as live (its heartbeat is not yet stale) but cannot answer.
  worker.child.kill('SIGSTOP');
  t.teardown(() => {
    worker.child.kill('SIGCONT');
  });
  const failed = await gw.app.inject({
    method: 'POST',
    url: '/predict',
    headers: { 'x-request-timeout-ms': '300' },
    payload,
  });
  worker.child.kill('SIGCONT');
  t.equal(failed.statusCode, 504);
  t.equal(failed.json().code, 'TIMEOUT');
  t.ok(failed.json().request_id, 'the error body carries the request id');

  const first = await gw.app.inject({ method: 'POST', url: '/predict', payload });
  t.equal(first.statusCode, 200);
  t.equal(first.json().cached, false, 'the error was not cached');
  const second = await gw.app.inject({ method: 'POST', url: '/predict', payload });
  t.equal(second.json().cached, true, 'the success was');
});
