import t from 'tap';
import {
  fixedRow,
  MODEL_NAMES,
  mixedModel,
  predictBody,
  routeBody,
  routePath,
  shapeFromMetadata,
  uniqueRow,
  v2Body,
} from '../k6/lib/payloads.js';

const shape = { name: 'fast', inputName: 'input', features: 4 };

t.test('unique rows never repeat across seeds, including the low/high boundary', async (t) => {
  const seen = new Set<string>();
  const seeds = [
    ...Array.from({ length: 20_000 }, (_, i) => i),
    999_999,
    1_000_000,
    1_000_001,
    2_000_000,
    999_999_999_999,
  ];
  for (const seed of seeds) seen.add(JSON.stringify(uniqueRow(4, seed)));
  t.equal(seen.size, new Set(seeds).size);
});

t.test('unique rows have the model width and finite values', async (t) => {
  for (const width of [1, 4, 30]) {
    const row = uniqueRow(width, 123_456_789);
    t.equal(row.length, width);
    t.ok(row.every(Number.isFinite));
  }
});

t.test('a fixed row is the same on every call', async (t) => {
  t.same(fixedRow(4), fixedRow(4));
  t.equal(JSON.stringify(fixedRow(4)), JSON.stringify(fixedRow(4)));
});

t.test('bad widths and seeds are refused with a TypeError', async (t) => {
  t.throws(() => fixedRow(0), TypeError);
  t.throws(() => uniqueRow(4, -1), TypeError);
  t.throws(() => uniqueRow(4, 1.5), TypeError);
});

t.test('the mix sends fast, intermediate and slow in exactly 3:2:1', async (t) => {
  const counts: Record<string, number> = {};
  for (let i = 0; i < 600; i++) {
    const m = mixedModel(i);
    counts[m] = (counts[m] ?? 0) + 1;
  }
  t.same(counts, { fast: 300, intermediate: 200, slow: 100 });
});

t.test('each route family gets its own path and body shape', async (t) => {
  const rows = [uniqueRow(4, 1), uniqueRow(4, 2)];
  t.equal(routePath('predict', 'fast'), '/predict');
  t.equal(routePath('v1', 'fast'), '/v1/models/fast:predict');
  t.equal(routePath('v2', 'fast'), '/v2/models/fast/infer');
  t.same(routeBody('predict', shape, rows), { model_name: 'fast', input_data: rows });
  t.same(routeBody('v1', shape, rows), { instances: rows });
  t.same(v2Body(shape, rows).inputs[0]?.shape, [2, 4]);
  t.same(v2Body(shape, rows).inputs[0]?.data, rows.flat());
  t.same(predictBody('fast', rows, 'abc'), {
    model_name: 'fast',
    input_data: rows,
    request_id: 'abc',
  });
});

t.test('a model shape is read from V2 metadata and a malformed one is refused', async (t) => {
  t.same(
    shapeFromMetadata('fast', { inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }] }),
    shape,
  );
  t.throws(() => shapeFromMetadata('fast', { inputs: [] }), TypeError);
  t.throws(() => shapeFromMetadata('fast', null), TypeError);
  t.throws(
    () => shapeFromMetadata('fast', { inputs: [{ name: 'input', shape: [-1, 0] }] }),
    TypeError,
  );
});

t.test('the model list is the three shipped models', async (t) => {
  t.same([...MODEL_NAMES], ['fast', 'intermediate', 'slow']);
});
