import { type ModelManifest, modelOfQueue, type PredictResult } from '@mlapi/contracts';
import { PresenceTracker } from '@mlapi/rpc';
import t from 'tap';
import {
  AMQP_URL,
  deleteQueue,
  heldMessages,
  httpStatus,
  reference,
  spawnWorker,
  startClient,
  unique,
  uniqueModelDir,
  waitFor,
} from './helpers/fixtures.js';

t.test('SIGTERM drains in-flight requests, says goodbye and exits 0', async (t) => {
  const ref = (await reference()).fast;
  const { dir, queue } = await uniqueModelDir(t, 'fast');
  t.teardown(() => deleteQueue(queue));
  const tracker = new PresenceTracker<{ manifest: ModelManifest }>({
    url: AMQP_URL,
    logger: null,
    connectionName: unique('test-tracker'),
  });
  t.teardown(() => tracker.stop());
  await tracker.start();

  // The window keeps the requests in flight (delivered, unanswered) when SIGTERM arrives.
  const worker = spawnWorker(t, {
    MODEL_DIR: dir,
    BATCH_WINDOW_MS: '1500',
    ANNOUNCE_INTERVAL_MS: '200',
  });
  const port = await worker.consuming;
  t.equal(await httpStatus(port, '/health/ready'), 200, 'ready once consuming');
  await waitFor('the announcement', async () => tracker.liveInstances(queue) === 1);
  t.equal(
    tracker.meta(queue)?.manifest.name,
    modelOfQueue(queue)?.model,
    'it announces its manifest',
  );

  const client = await startClient(t);
  const replies = ref.inputs.map((row) =>
    client.call<PredictResult>(queue, { inputs: [row] }, { type: 'predict', timeoutMs: 20_000 }),
  );
  await waitFor(
    'the worker to hold every request',
    async () => (await heldMessages(port)) === ref.inputs.length,
  );
  worker.child.kill('SIGTERM');

  const results = await Promise.all(replies);
  t.same(
    results.map((r) => r.predictions[0]),
    ref.predictions,
    'every in-flight request answered',
  );
  const { code, signal } = await worker.exited;
  t.equal(code, 0, 'exit code 0');
  t.equal(signal, null);
  await waitFor('the goodbye', async () => tracker.liveInstances(queue) === 0);
  t.pass('the tracker no longer counts it live');
});
