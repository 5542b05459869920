import type { PredictResult } from '@mlapi/contracts';
import t from 'tap';
import {
  heldMessages,
  reference,
  spawnWorker,
  startClient,
  startWorker,
  uniqueModelDir,
  waitFor,
} from './helpers/fixtures.js';

t.test(
  'messages held by a worker killed mid-batch are redelivered to another and answered',
  async (t) => {
    const ref = (await reference()).fast;
    const { dir, queue } = await uniqueModelDir(t, 'fast');
    // A long window: the first worker takes every message and sits on them, unacked, when killed.
    const doomed = spawnWorker(t, {
      MODEL_DIR: dir,
      BATCH_WINDOW_MS: '60000',
      BATCH_MAX_MESSAGES: '64',
    });
    const port = await doomed.consuming;
    const client = await startClient(t);

    const replies = ref.inputs
      .slice(0, 12)
      .map((row) =>
        client.call<PredictResult>(
          queue,
          { inputs: [row] },
          { type: 'predict', timeoutMs: 60_000 },
        ),
      );
    let answered = 0;
    for (const r of replies)
      void r.then(
        () => answered++,
        () => {},
      );
    await waitFor(
      'the doomed worker to hold every message',
      async () => (await heldMessages(port)) === 12,
    );
    t.equal(answered, 0, 'nothing is answered while the batch is open');

    doomed.child.kill('SIGKILL');
    t.equal((await doomed.exited).signal, 'SIGKILL');

    const { worker } = await startWorker(t, 'fast', { queue, batchWindowMs: 0 });
    const results = await Promise.all(replies);
    t.same(
      results.map((r) => r.predictions[0]),
      ref.predictions.slice(0, 12),
      'every caller got its own answer from the second worker',
    );
    t.equal(worker.metrics().handled, 12, 'the second worker handled all of them');
  },
);
