import type { PredictResult } from '@mlapi/contracts';
import { RpcError } from '@mlapi/rpc';
import t from 'tap';
import { rawPublisher, reference, startClient, startWorker } from './helpers/fixtures.js';

const MAX_ROWS = 8;
const good = [5.1, 3.5, 1.4, 0.2];

const table: [string, unknown][] = [
  ['a row that is too narrow', { inputs: [[1, 2, 3]] }],
  ['a row that is too wide', { inputs: [[1, 2, 3, 4, 5]] }],
  ['a bad row after good ones', { inputs: [good, good, [1, 2]] }],
  ['strings', { inputs: [['5.1', '3.5', '1.4', '0.2']] }],
  ['NaN as a string', { inputs: [['NaN', 3.5, 1.4, 0.2]] }],
  ['Infinity as a string', { inputs: [[5.1, 'Infinity', 1.4, 0.2]] }],
  ['-Infinity as a string', { inputs: [[5.1, 3.5, '-Infinity', 0.2]] }],
  ['a value beyond float32', { inputs: [[1e39, 3.5, 1.4, 0.2]] }],
  ['a negative value beyond float32', { inputs: [[5.1, 3.5, 1.4, -3.5e38]] }],
  ['a null value', { inputs: [[5.1, null, 1.4, 0.2]] }],
  ['a null row', { inputs: [null] }],
  ['a boolean', { inputs: [[true, 3.5, 1.4, 0.2]] }],
  ['a nested array', { inputs: [[[5.1], 3.5, 1.4, 0.2]] }],
  ['an empty row', { inputs: [[]] }],
  ['empty inputs', { inputs: [] }],
  ['a flat row instead of rows', { inputs: good }],
  ['inputs as a string', { inputs: '5.1,3.5,1.4,0.2' }],
  ['no inputs', { instances: [good] }],
  ['a bare array body', [good]],
  ['a null body', null],
  ['a number body', 42],
  ['too many rows', { inputs: Array.from({ length: MAX_ROWS + 1 }, () => good) }],
];

t.test('each bad input is answered BAD_INPUT and the worker keeps serving', async (t) => {
  const ref = (await reference()).fast;
  // The window puts bad and good requests into the same batches.
  const { queue, metrics } = await startWorker(t, 'fast', {
    maxRowsPerRequest: MAX_ROWS,
    batchWindowMs: 10,
  });
  const client = await startClient(t);
  const predict = (body: unknown, type = 'predict') =>
    client.call<PredictResult>(queue, body, { type, timeoutMs: 10_000 });

  const cases = [...table, ['the method "call"', { inputs: [good] }, 'call'] as const];
  const bad = cases.map(([, body, type]) =>
    predict(body, type).then(
      () => 'answered',
      (err: unknown) => err,
    ),
  );
  const fine = ref.inputs.map((row) => predict({ inputs: [row] }));
  const atLimit = predict({ inputs: Array.from({ length: MAX_ROWS }, () => ref.inputs[0]) });

  for (const [i, outcome] of (await Promise.all(bad)).entries()) {
    const what = cases[i]?.[0];
    t.ok(outcome instanceof RpcError, `${what}: rejected`);
    t.match(outcome, { code: 'RPC_REMOTE', remoteCode: 'BAD_INPUT' }, `${what}: BAD_INPUT`);
  }
  t.same(
    (await Promise.all(fine)).map((r) => r.predictions[0]),
    ref.predictions,
    'valid requests batched with the bad ones are answered',
  );
  t.equal((await atLimit).predictions.length, MAX_ROWS, 'exactly the row limit is accepted');
  const errors = await metrics.errors.get();
  t.equal(
    errors.values.find((v) => v.labels.code === 'BAD_INPUT')?.value,
    cases.length,
    'model_errors_total counts them by code',
  );

  const after = await predict({ inputs: ref.inputs.slice(0, MAX_ROWS) });
  t.same(
    after.predictions,
    ref.predictions.slice(0, MAX_ROWS),
    'and the worker still serves afterwards',
  );
});

t.test('a body that is not JSON, or not declared JSON, is answered BAD_INPUT', async (t) => {
  const ref = (await reference()).fast;
  const { queue } = await startWorker(t, 'fast');
  const { send: sendRaw } = await rawPublisher(t);
  const send = (content: Buffer, contentType: string) =>
    sendRaw(queue, { body: null, content, contentType });
  const raw: [string, Buffer, string][] = [
    ['a truncated JSON body', Buffer.from('{"inputs": [[5.1, 3.5'), 'application/json'],
    ['a body that is not JSON at all', Buffer.from('inputs=5.1,3.5,1.4,0.2'), 'application/json'],
    [
      'NaN written into the JSON',
      Buffer.from('{"inputs": [[NaN, 3.5, 1.4, 0.2]]}'),
      'application/json',
    ],
    [
      'valid JSON sent as text/plain',
      Buffer.from(JSON.stringify({ inputs: [good] })),
      'text/plain',
    ],
  ];
  for (const [what, content, contentType] of raw) {
    t.match(await send(content, contentType), { ok: false, error: { code: 'BAD_INPUT' } }, what);
  }
  const valid = await send(Buffer.from(JSON.stringify({ inputs: ref.inputs })), 'application/json');
  t.match(valid, { ok: true, result: { predictions: ref.predictions } }, 'the worker still serves');
});
