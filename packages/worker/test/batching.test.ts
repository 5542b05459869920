import type { PredictResult } from '@mlapi/contracts';
import t from 'tap';
import { reference, samples, startClient, startWorker } from './helpers/fixtures.js';

t.test(
  'interleaved requests from many clients share batches and each get their own rows back',
  async (t) => {
    const ref = (await reference()).fast;
    // A window makes the worker gather what the clients send in the same few milliseconds.
    const { worker, metrics, queue } = await startWorker(t, 'fast', {
      batchMaxMessages: 64,
      batchWindowMs: 20,
      prefetch: 128,
    });
    const batchSizes: number[] = [];
    worker.on('batch', (e: { size: number }) => batchSizes.push(e.size));
    const clients = await Promise.all([1, 2, 3, 4].map(() => startClient(t)));

    // Each caller asks for a different, overlapping window of reference rows (1 to 4 rows), so a
    // reply holding someone else's rows, or rows in the wrong order, cannot pass.
    const calls = Array.from({ length: 96 }, (_, i) => {
      const first = (i * 7) % ref.inputs.length;
      const count = 1 + (i % 4);
      const rows = Array.from({ length: count }, (_, k) => (first + k) % ref.inputs.length);
      const client = clients[i % clients.length];
      if (client === undefined) throw new Error('no client');
      const reply = client.call<PredictResult>(
        queue,
        { inputs: rows.map((r) => ref.inputs[r]) },
        { type: 'predict', timeoutMs: 20_000 },
      );
      return { rows, reply };
    });

    for (const [i, { rows, reply }] of calls.entries()) {
      const result = await reply;
      t.same(
        result.predictions,
        rows.map((r) => ref.predictions[r]),
        `caller ${i} got its predictions`,
      );
      const close = rows.every((r, k) =>
        (ref.probabilities[r] ?? []).every(
          (p, c) => Math.abs((result.probabilities[k]?.[c] ?? Number.NaN) - p) <= 1e-5,
        ),
      );
      t.ok(close, `caller ${i} got its own probabilities`);
    }

    const histogram = await samples(metrics, 'model_batch_messages');
    const count = histogram.find((v) => v.metricName === 'model_batch_messages_count')?.value ?? 0;
    const single =
      histogram.find((v) => v.metricName === 'model_batch_messages_bucket' && v.labels.le === 1)
        ?.value ?? 0;
    t.ok(
      count > 0 && single < count,
      `some batches held more than one request (${single} of ${count} held one)`,
    );
    t.ok(
      Math.max(...batchSizes) > 1,
      `the server handed over batches of up to ${Math.max(...batchSizes)} messages`,
    );
    t.ok(count < calls.length, 'fewer batches than requests');
  },
);
