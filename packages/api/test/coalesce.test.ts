import t from 'tap';
import { Coalescer, normalizeCoalescerOptions } from '../src/coalescer.js';
import {
  type Gateway,
  oracle,
  spawnWorker,
  startGateway,
  uniqueModel,
  waitLive,
} from './helpers/stack.js';

const calls = (gw: Gateway): number => (gw.owned.deps.rpc.metrics() as { calls: number }).calls;

/** The rpc_message_requests histogram: messages sent and requests they carried. */
async function messageStats(gw: Gateway): Promise<{ messages: number; requests: number }> {
  const { values } = await gw.app.mlapi.metrics.rpcMessageRequests.get();
  const pick = (suffix: string) =>
    values.find((v) => v.metricName === `rpc_message_requests_${suffix}`)?.value ?? 0;
  return { messages: pick('count'), requests: pick('sum') };
}

/** A distinct row per index, near the fast model's training data. */
const rowOf = (i: number): number[] => [5 + (i % 7) / 10, 3 + (i % 5) / 10, 1.4 + i / 50, 0.2];

t.test(
  'concurrent distinct requests to one model are coalesced into fewer messages, each answered for its own rows',
  async (t) => {
    const { name, dir } = await uniqueModel(t, 'fast');
    spawnWorker(t, dir);
    const gw = await startGateway(t);
    await waitLive(gw, name);
    const o = await oracle('fast');
    t.teardown(() => o.release());

    // 40 requests of 1 to 3 rows each, all different, sent together.
    const inputs = Array.from({ length: 40 }, (_, i) =>
      Array.from({ length: 1 + (i % 3) }, (_, r) => rowOf(i * 3 + r)),
    );
    const before = calls(gw);
    const answers = await Promise.all(
      inputs.map((rows, i) =>
        gw.app.inject({
          method: 'POST',
          url: '/predict',
          headers: { 'x-request-id': `co-${i}` },
          payload: { model_name: name, input_data: rows },
        }),
      ),
    );
    const sent = calls(gw) - before;
    t.ok(sent >= 1 && sent < inputs.length, `${inputs.length} requests went as ${sent} messages`);
    const stats = await messageStats(gw);
    t.equal(stats.messages, sent, 'the histogram counts every message');
    t.equal(stats.requests, inputs.length, 'and every request they carried');

    for (const [i, res] of answers.entries()) {
      t.equal(res.statusCode, 200);
      const body = res.json();
      const rows = inputs[i] as number[][];
      const want = await o.run(rows);
      t.equal(body.request_id, `co-${i}`, 'its own request id');
      t.equal(res.headers['x-request-id'], `co-${i}`);
      t.equal(body.cached, false);
      t.same(body.predictions, want.predictions, `request ${i}: its own predictions`);
      t.equal(body.labels.length, rows.length, 'one label per row');
      t.equal(body.probabilities.length, rows.length);
      body.probabilities.forEach((p: number[], r: number) => {
        t.ok(
          p.every((v, c) => Math.abs(v - (want.probabilities[r]?.[c] ?? Number.NaN)) < 1e-4),
          `request ${i} row ${r}: its own probabilities`,
        );
      });
    }

    // Each member's success is cached under its own rows.
    const again = await gw.app.inject({
      method: 'POST',
      url: '/predict',
      payload: { model_name: name, input_data: inputs[7] },
    });
    t.equal(again.json().cached, true, 'a coalesced answer is cached per request');
  },
);

t.test('a member whose deadline is shorter times out alone', async (t) => {
  const { name, dir } = await uniqueModel(t, 'fast');
  const worker = spawnWorker(t, dir);
  const gw = await startGateway(t);
  await waitLive(gw, name);
  // A paused worker still counts as live but answers nothing until it is resumed.
  worker.child.kill('SIGSTOP');
  t.teardown(() => {
    worker.child.kill('SIGCONT');
  });
  const before = calls(gw);
  const post = (row: number[], timeoutMs: number) =>
    gw.app.inject({
      method: 'POST',
      url: '/predict',
      headers: { 'x-request-timeout-ms': String(timeoutMs) },
      payload: { model_name: name, input_data: [row] },
    });
  const patient = post([6.3, 3.3, 6.0, 2.5], 20_000);
  const tight = await post([5.1, 3.5, 1.4, 0.2], 300);
  t.equal(calls(gw) - before, 1, 'both went in one message');
  t.equal(tight.statusCode, 504, 'the tight member times out on its own deadline');
  t.equal(tight.json().code, 'TIMEOUT');
  worker.child.kill('SIGCONT');
  const answer = await patient;
  t.equal(answer.statusCode, 200, 'the patient member still gets its answer');
  t.same(answer.json().predictions, [2]);
  t.equal(calls(gw) - before, 1, 'from the same message');
});

t.test(
  'a batch over COALESCE_MAX_ROWS is split into messages of at most that many rows',
  async (t) => {
    const { name, dir } = await uniqueModel(t, 'fast');
    spawnWorker(t, dir);
    const gw = await startGateway(t, { COALESCE_MAX_ROWS: '4' });
    await waitLive(gw, name);
    const before = calls(gw);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        gw.app.inject({
          method: 'POST',
          url: '/predict',
          payload: { model_name: name, input_data: [rowOf(100 + i)] },
        }),
      ),
    );
    t.ok(answers.every((r) => r.statusCode === 200));
    const sent = calls(gw) - before;
    t.ok(sent >= 3, `10 one-row requests need at least 3 messages of 4 rows (${sent})`);
    const { values } = await gw.app.mlapi.metrics.rpcMessageRequests.get();
    const upTo4 = values.find((v) => v.metricName?.endsWith('_bucket') && v.labels.le === 4);
    t.equal(upTo4?.value, sent, 'no message carried more than 4 requests');

    // A request larger than the cap still goes, alone.
    const big = await gw.app.inject({
      method: 'POST',
      url: '/predict',
      payload: {
        model_name: name,
        input_data: Array.from({ length: 6 }, (_, i) => rowOf(200 + i)),
      },
    });
    t.equal(big.statusCode, 200);
    t.equal(big.json().predictions.length, 6);
  },
);

t.test('with COALESCE_WINDOW_MS requests from later turns join the open batch', async (t) => {
  const { name, dir } = await uniqueModel(t, 'fast');
  spawnWorker(t, dir);
  const gw = await startGateway(t, { COALESCE_WINDOW_MS: '300' });
  await waitLive(gw, name);
  const before = calls(gw);
  const post = (i: number) =>
    gw.app.inject({
      method: 'POST',
      url: '/predict',
      payload: { model_name: name, input_data: [rowOf(600 + i)] },
    });
  const first = post(0);
  // Well inside the window, but turns later: without a window this would be a second message.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const second = post(1);
  const answers = await Promise.all([first, second]);
  t.ok(answers.every((r) => r.statusCode === 200));
  t.equal(calls(gw) - before, 1, 'both went in one message');
  const o = await oracle('fast');
  t.teardown(() => o.release());
  const want = await o.run([rowOf(600), rowOf(601)]);
  t.same(
    answers.map((r) => r.json().predictions[0]),
    want.predictions,
    'each its own answer',
  );
});

t.test('with COALESCE_MAX_ROWS=0 every distinct request is its own message', async (t) => {
  const { name, dir } = await uniqueModel(t, 'fast');
  spawnWorker(t, dir);
  const gw = await startGateway(t, { COALESCE_MAX_ROWS: '0' });
  await waitLive(gw, name);
  const before = calls(gw);
  const answers = await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      gw.app.inject({
        method: 'POST',
        url: '/predict',
        payload: { model_name: name, input_data: [rowOf(300 + i)] },
      }),
    ),
  );
  t.ok(answers.every((r) => r.statusCode === 200));
  t.equal(calls(gw) - before, 12);
  t.equal((await messageStats(gw)).messages, 0, 'the coalescer is not in the path');
});

t.test(
  'a coalesced message the worker refuses as too large is retried one request per message',
  async (t) => {
    const { name, dir } = await uniqueModel(t, 'fast');
    // The worker takes at most 2 rows per message while the gateway merges up to 1024: a
    // misconfiguration, but one that must cost latency, not answers.
    spawnWorker(t, dir, { MAX_ROWS_PER_REQUEST: '2' });
    const gw = await startGateway(t);
    await waitLive(gw, name);
    const before = calls(gw);
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        gw.app.inject({
          method: 'POST',
          url: '/predict',
          payload: { model_name: name, input_data: [rowOf(400 + i)] },
        }),
      ),
    );
    for (const res of answers) t.equal(res.statusCode, 200, 'each request succeeds alone');
    const { messages } = await messageStats(gw);
    t.ok(messages > 6, `the merged message and then one per request (${messages})`);
    t.equal(calls(gw) - before, messages);

    // A request the worker refuses on its own still gets the worker's BAD_INPUT.
    const three = await gw.app.inject({
      method: 'POST',
      url: '/predict',
      payload: { model_name: name, input_data: [rowOf(500), rowOf(501), rowOf(502)] },
    });
    t.equal(three.statusCode, 400);
    t.equal(three.json().code, 'BAD_INPUT');
  },
);

t.test('coalescer options are checked, naming the bad one', async (t) => {
  const rpc = { call: () => Promise.reject(new Error('never called')) };
  const bad: [string, Parameters<typeof normalizeCoalescerOptions>[0]][] = [
    ['maxRows', { rpc, maxRows: 0 }],
    ['maxRows', { rpc, maxRows: 1.5 }],
    ['windowMs', { rpc, windowMs: -1 }],
    ['windowMs', { rpc, windowMs: 60_001 }],
    ['rpc', { rpc: {} as unknown as typeof rpc }],
  ];
  for (const [option, options] of bad) {
    t.throws(() => normalizeCoalescerOptions(options), TypeError);
    const error = t.throws(() => new Coalescer(options)) as { option?: string };
    t.equal(error.option, option, `${option} is named`);
  }
  const s = normalizeCoalescerOptions({ rpc });
  t.equal(s.maxRows, 1024);
  t.equal(s.windowMs, 0);
  t.type(new Coalescer({ rpc }), Coalescer);
});
