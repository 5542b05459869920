import t from 'tap';
import {
  isModelName,
  isModelVersion,
  isPredictResult,
  isWireErrorCode,
  MODEL_QUEUE_PREFIX,
  modelOfQueue,
  modelQueue,
  WIRE_ERROR_CODES,
} from '../src/index.js';

t.test('model names follow the wire pattern and nothing else passes', async (t) => {
  for (const ok of ['fast', 'a', 'iris-2', `a${'b'.repeat(62)}`]) t.ok(isModelName(ok), ok);
  const bad = ['', 'Fast', '-a', 'a.b', 'a/b', `a${'b'.repeat(63)}`, 'a b', 'mlapi.x', 3, null];
  t.equal(bad.length, 10);
  for (const no of bad) t.notOk(isModelName(no), String(no));
});

t.test('versions follow their pattern', async (t) => {
  for (const ok of ['1', '2.0.1', 'v2', 'canary_b', `a${'b'.repeat(31)}`]) {
    t.ok(isModelVersion(ok), ok);
  }
  const bad = ['', 'V2', '.1', '1/2', `a${'b'.repeat(32)}`, 'a b', 2];
  t.equal(bad.length, 7);
  for (const no of bad) t.notOk(isModelVersion(no), String(no));
});

t.test('a queue is only ever built from a checked name and version, and maps back', async (t) => {
  t.equal(modelQueue('fast', '1'), `${MODEL_QUEUE_PREFIX}fast.1`);
  t.equal(modelQueue('fast', '2.0.1'), 'mlapi.fast.2.0.1');
  t.throws(() => modelQueue('../x', '1'), TypeError);
  t.throws(() => modelQueue('', '1'), TypeError);
  t.throws(() => modelQueue('fast', ''), TypeError);
  t.throws(() => modelQueue('fast', '1/../x'), TypeError);
  t.same(modelOfQueue(modelQueue('slow', '3')), { model: 'slow', version: '3' });
  // A version may hold dots; a model name never does, so the first dot splits them.
  t.same(modelOfQueue('mlapi.fast.2.0.1'), { model: 'fast', version: '2.0.1' });
  t.equal(modelOfQueue('other.fast.1'), undefined);
  t.equal(modelOfQueue('mlapi.Bad.1'), undefined);
  t.equal(modelOfQueue('mlapi.fast'), undefined, 'a queue without a version is not a model queue');
  t.equal(modelOfQueue('mlapi.fast.'), undefined);
});

t.test('a predict result must carry one answer per row', async (t) => {
  const result = {
    model_name: 'fast',
    model_version: '1',
    predictions: [0, 1],
    probabilities: [
      [1, 0],
      [0, 1],
    ],
    labels: ['a', 'b'],
  };
  t.ok(isPredictResult(result, 2));
  t.notOk(isPredictResult(result, 3), 'a row count mismatch is refused');
  t.notOk(isPredictResult({ ...result, labels: undefined }, 2), 'a missing field is refused');
  t.notOk(isPredictResult(null, 0));
});

t.test('the wire error codes are the ones DESIGN.md lists', async (t) => {
  t.equal(WIRE_ERROR_CODES.length, 12);
  t.ok(isWireErrorCode('FORBIDDEN'));
  t.notOk(isWireErrorCode('RPC_TIMEOUT'), 'library codes are not wire codes');
});
