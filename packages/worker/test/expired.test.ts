import type { PredictResult } from '@mlapi/contracts';
import t from 'tap';
import {
  metricTotal,
  rawPublisher,
  reference,
  samples,
  startClient,
  startWorker,
  waitFor,
} from './helpers/fixtures.js';

const row = [5.1, 3.5, 1.4, 0.2];

t.test('a message whose deadline passed before delivery is not inferred', async (t) => {
  const ref = (await reference()).fast;
  const { worker, model, metrics, queue } = await startWorker(t, 'fast');
  const { send } = await rawPublisher(t);
  const client = await startClient(t);
  const before = model.runs;

  // No AMQP expiration, so the broker delivers it and only the worker can notice.
  void send(queue, { body: { inputs: [row] }, deadline: Date.now() - 1_000 });
  await waitFor('the worker to drop it', async () => worker.metrics().expired === 1);
  t.equal(model.runs, before, 'no session.run');
  t.equal(await metricTotal(metrics, 'model_inference_seconds'), 0, 'no inference observed');
  t.equal(await metricTotal(metrics, 'model_requests_total'), 0, 'it never reached the model');

  const fresh = await client.call<PredictResult>(
    queue,
    { inputs: ref.inputs },
    { type: 'predict' },
  );
  t.same(fresh.predictions, ref.predictions, 'the worker still serves');
});

t.test('a message that expires while waiting in the batch window is not inferred', async (t) => {
  const ref = (await reference()).fast;
  const { worker, model, metrics, queue } = await startWorker(t, 'fast', { batchWindowMs: 500 });
  const { send } = await rawPublisher(t);
  const client = await startClient(t);
  const before = model.runs;

  // Alive when delivered, dead by the time the window closes.
  void send(queue, { body: { inputs: [row, row, row] }, deadline: Date.now() + 100 });
  const fresh = await client.call<PredictResult>(
    queue,
    { inputs: [ref.inputs[0]] },
    {
      type: 'predict',
    },
  );

  t.same(fresh.predictions, [ref.predictions[0]], 'the fresh request is answered');
  await waitFor('the worker to drop the expired one', async () => worker.metrics().expired === 1);
  t.equal(model.runs - before, 1, 'one session.run');
  const rows = await samples(metrics, 'model_batch_rows');
  t.equal(
    rows.find((v) => v.metricName === 'model_batch_rows_sum')?.value,
    1,
    'holding only the fresh row',
  );
  t.equal(worker.metrics().expired, 1, 'the expired one was dropped');
});
