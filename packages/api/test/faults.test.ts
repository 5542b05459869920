import type { LightMyRequestResponse } from 'fastify';
import t from 'tap';
import {
  closeConnections,
  spawnWorker,
  startGateway,
  uniqueModel,
  waitFor,
  waitLive,
} from './helpers/stack.js';

const ROW = [6.3, 3.3, 6.0, 2.5];

t.test('an unknown model is a 404 at once', async (t) => {
  const gw = await startGateway(t);
  const res = await gw.app.inject({
    method: 'POST',
    url: '/predict',
    payload: { model_name: 'never-announced', input_data: [ROW] },
  });
  t.equal(res.statusCode, 404);
  t.equal(res.json().code, 'UNKNOWN_MODEL');
  const v2 = await gw.app.inject({ url: '/v2/models/never-announced/ready' });
  t.equal(v2.json().code, 'UNKNOWN_MODEL');
});

t.test('a known model with no live worker is a 503 within a second, not a hang', async (t) => {
  const { name, dir } = await uniqueModel(t, 'fast');
  const worker = spawnWorker(t, dir);
  const gw = await startGateway(t);
  await waitLive(gw, name);
  const ok = await gw.app.inject({
    method: 'POST',
    url: '/predict',
    payload: { model_name: name, input_data: [ROW] },
  });
  t.equal(ok.statusCode, 200);

  worker.child.kill('SIGTERM'); // a clean stop says goodbye
  t.same(await worker.exited, { code: 0, signal: null }, 'the worker stopped cleanly');
  await waitFor('the goodbye', () => gw.owned.deps.registry.liveWorkers(name) === 0);
  const started = Date.now();
  const res = await gw.app.inject({
    method: 'POST',
    url: '/predict',
    payload: { model_name: name, input_data: [[1, 2, 3, 4]] },
  });
  const elapsed = Date.now() - started;
  t.equal(res.statusCode, 503);
  t.equal(res.json().code, 'UNAVAILABLE');
  t.equal(res.headers['retry-after'], '1', 'Retry-After is set');
  t.ok(elapsed < 1000, `answered in ${elapsed} ms`);

  const cached = await gw.app.inject({
    method: 'POST',
    url: '/predict',
    payload: { model_name: name, input_data: [ROW] },
  });
  t.equal(cached.statusCode, 200, 'a cached answer is still served with no worker');
  t.equal(cached.json().cached, true);

  t.equal((await gw.app.inject({ url: `/v1/models/${name}` })).json().ready, false);
  t.equal((await gw.app.inject({ url: `/v2/models/${name}/ready` })).statusCode, 503);
  const metrics = (await gw.app.inject({ url: '/metrics' })).body;
  t.match(metrics, new RegExp(`model_loaded\\{model_name="${name}",model_version="1"\\} 0`));
  t.match(
    metrics,
    new RegExp(
      `model_prediction_errors_total\\{model_name="${name}",model_version="1",error_type="UNAVAILABLE"\\} 1`,
    ),
  );
});

t.test('a worker that dies without a goodbye stops counting as live', async (t) => {
  const { name, dir } = await uniqueModel(t, 'fast');
  const worker = spawnWorker(t, dir);
  const gw = await startGateway(t);
  await waitLive(gw, name);
  worker.child.kill('SIGKILL');
  await worker.exited;
  await waitFor('the heartbeat to go stale', () => gw.owned.deps.registry.liveWorkers(name) === 0);
  const res = await gw.app.inject({
    method: 'POST',
    url: '/predict',
    payload: { model_name: name, input_data: [ROW] },
  });
  t.equal(res.statusCode, 503);
  t.equal(res.json().code, 'UNAVAILABLE');
});

t.test(
  'when the broker drops our connections in-flight predictions are sent again and succeed',
  async (t) => {
    const { name, dir } = await uniqueModel(t, 'fast');
    const worker = spawnWorker(t, dir);
    const gw = await startGateway(t);
    await waitLive(gw, name);
    t.equal((await gw.app.inject({ url: '/health/ready' })).statusCode, 200);

    // Park five calls on a paused worker, each with 20 s to live (closing connections with
    // rabbitmqctl takes seconds on a loaded machine), then cut the gateway's broker
    // connections under them. Their channel is gone (RPC_CLOSED): the gateway sends each again
    // on its new connection, and they succeed once the worker runs, before their deadline.
    worker.child.kill('SIGSTOP');
    t.teardown(() => {
      worker.child.kill('SIGCONT');
    });
    const parked = Array.from({ length: 5 }, (_, i) =>
      gw.app.inject({
        method: 'POST',
        url: '/predict',
        headers: { 'x-request-timeout-ms': '20000' },
        payload: { model_name: name, input_data: [[5, 3, 1.6, 0.2 + i / 100]] },
      }),
    );
    await waitFor('five calls in flight', () =>
      gw.app.mlapi.metrics.rpcInFlight.get().then((m) => m.values[0]?.value === 5),
    );
    const cutAt = Date.now();
    const closed = await closeConnections(gw.connectionName);
    t.ok(closed >= 2, `closed ${closed} connections (rpc and presence)`);
    // Concurrent requests may share one coalesced message, so one retry or more.
    await waitFor('the cut messages sent again', () =>
      gw.app.mlapi.metrics.rpcRetries.get().then((m) => (m.values[0]?.value ?? 0) >= 1),
    );
    worker.child.kill('SIGCONT');
    const answers = await Promise.all(parked);
    if (answers.some((r) => r.statusCode !== 200)) t.comment(worker.output());
    for (const res of answers) {
      t.equal(res.statusCode, 200, 'an in-flight call cut from its channel still succeeds');
    }
    t.ok(Date.now() - cutAt < 20_000, 'before their deadline');

    // Then it comes back by itself: no restart, no new gateway.
    await waitFor(
      'readiness back',
      async () => (await gw.app.inject({ url: '/health/ready' })).statusCode === 200,
    );
    await waitLive(gw, name);
    await waitFor('a successful request after the reconnect', async () => {
      const res = await gw.app.inject({
        method: 'POST',
        url: '/predict',
        payload: { model_name: name, input_data: [ROW] },
      });
      if (res.statusCode !== 200)
        t.equal(res.statusCode, 503, 'a request while reconnecting is a 503');
      return res.statusCode === 200;
    });
    t.ok(
      (gw.owned.deps.rpc.metrics() as { reconnects: number }).reconnects >= 1,
      'the client reconnected',
    );
  },
);

t.test('a model whose queue is full answers 503 OVERLOADED with Retry-After', async (t) => {
  const { name, dir } = await uniqueModel(t, 'fast');
  const worker = spawnWorker(t, dir, {
    PREFETCH: '1',
    QUEUE_MAX_LENGTH: '1',
    BATCH_MAX_MESSAGES: '1',
  });
  const gw = await startGateway(t);
  await waitLive(gw, name);
  worker.child.kill('SIGSTOP');
  t.teardown(() => {
    worker.child.kill('SIGCONT');
  });
  // One message held by the paused worker, one in the queue at its bound, the rest refused.
  // Each request is sent once the previous one has left as its own message: sent together,
  // the coalescer would carry them all in one.
  const rpc = gw.owned.deps.rpc;
  const sent = () => (rpc.metrics() as { calls: number }).calls;
  const pending: Promise<LightMyRequestResponse>[] = [];
  for (let i = 0; i < 6; i++) {
    const before = sent();
    pending.push(
      gw.app.inject({
        method: 'POST',
        url: '/predict',
        headers: { 'x-request-timeout-ms': '1500' },
        payload: { model_name: name, input_data: [[5, 3, 1, i / 10]] },
      }),
    );
    await waitFor(`request ${i} sent`, () => sent() > before);
  }
  const answers = await Promise.all(pending);
  worker.child.kill('SIGCONT');
  const overloaded = answers.filter((r) => r.statusCode === 503);
  t.ok(overloaded.length >= 1, `${overloaded.length} requests were refused`);
  for (const res of overloaded) {
    t.equal(res.json().code, 'OVERLOADED');
    t.equal(res.headers['retry-after'], '1');
  }
  for (const res of answers) t.ok([200, 503, 504].includes(res.statusCode), `${res.statusCode}`);
});

t.test('a caller with a tighter deadline does not wait on an identical slower call', async (t) => {
  const { name, dir } = await uniqueModel(t, 'fast');
  const worker = spawnWorker(t, dir);
  const gw = await startGateway(t);
  await waitLive(gw, name);
  worker.child.kill('SIGSTOP');
  t.teardown(() => {
    worker.child.kill('SIGCONT');
  });
  const payload = { model_name: name, input_data: [[7.7, 2.6, 6.9, 2.3]] };
  const slow = gw.app.inject({
    method: 'POST',
    url: '/predict',
    headers: { 'x-request-timeout-ms': '5000' },
    payload,
  });
  await waitFor('the first call in flight', () =>
    gw.app.mlapi.metrics.rpcInFlight.get().then((m) => m.values[0]?.value === 1),
  );
  const tight = await gw.app.inject({
    method: 'POST',
    url: '/predict',
    headers: { 'x-request-timeout-ms': '300' },
    payload,
  });
  t.equal(tight.statusCode, 504, 'the tight caller times out on its own deadline');
  t.equal(tight.json().code, 'TIMEOUT');
  worker.child.kill('SIGCONT');
  const first = await slow;
  t.equal(first.statusCode, 200, 'the patient caller still gets its answer');
});
