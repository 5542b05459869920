import type { PredictResult } from '@mlapi/contracts';
import t from 'tap';
import { LruCache } from '../src/cache/lru-cache.js';
import { cacheKey, localKey } from '../src/cache-key.js';

const result = (p: number): PredictResult => ({
  model_name: 'm',
  model_version: '1',
  predictions: [p],
  probabilities: [[1, 0, 0]],
  labels: ['a'],
});

const SHA = 'f016c83357a99e37e57f729dc9f23d6523f76913d344576783cd3c4478c9d129';
const OTHER_SHA = '0'.repeat(64);

t.test('the cache key is a pure function of model, version, graph and rows', async (t) => {
  const rows = [
    [5.1, 3.5, 1.4, 0.2],
    [6, 2, 4, 1],
  ];
  const key = cacheKey('fast', '1', SHA, rows);
  t.match(key, /^mlapi:v2:pred:fast:1:f016c83357a99e37:[0-9a-f]{64}$/);
  t.equal(cacheKey('fast', '1', SHA, JSON.parse(JSON.stringify(rows))), key, 'same rows, same key');
  t.equal(
    cacheKey('fast', '1', SHA, [
      [5.1, 3.5, 1.4, 0.2],
      [6.0, 2.0, 4.0, 1.0],
    ]),
    key,
    '6.0 is 6',
  );
  t.not(cacheKey('fast', '2', SHA, rows), key, 'the version is part of the key');
  t.not(cacheKey('fast', '1', OTHER_SHA, rows), key, "the graph's hash is part of the key");
  t.not(cacheKey('fast', '1', null, rows), key, 'a graph without a hash has its own keys');
  t.not(cacheKey('slow', '1', SHA, rows), key, 'the model is part of the key');
  t.not(
    cacheKey('fast', '1', SHA, [rows[1] as number[], rows[0] as number[]]),
    key,
    'order matters',
  );
  t.equal(cacheKey('fast', '1', SHA, [[-0, 1]]), cacheKey('fast', '1', SHA, [[0, 1]]), '-0 is 0');
  t.not(localKey('fast', '1', SHA, '[[1]]'), localKey('fast', '1', OTHER_SHA, '[[1]]'));
  // Pinned: a change here would orphan every cached entry in a rolling deploy.
  t.equal(
    cacheKey('fast', '1', SHA, [[1, 2, 3, 4]]),
    'mlapi:v2:pred:fast:1:f016c83357a99e37:b60b3d509fe2effbab9b16404d982b79af7d892e81a385faac94514742564d35',
  );
});

t.test('the LRU keeps at most maxEntries and evicts the least recently used', async (t) => {
  const cache = new LruCache(2);
  await cache.set('a', result(1), 60);
  await cache.set('b', result(2), 60);
  t.ok(await cache.get('a'), 'touch a so b is the eldest');
  await cache.set('c', result(3), 60);
  t.equal(cache.size, 2);
  t.equal(await cache.get('b'), undefined, 'b was evicted');
  t.same((await cache.get('a'))?.predictions, [1]);
  t.same((await cache.get('c'))?.predictions, [3]);
});

t.test('an LRU entry expires after its TTL', async (t) => {
  let now = 1_000_000;
  const cache = new LruCache(10, { now: () => now });
  await cache.set('a', result(1), 1);
  t.ok(await cache.get('a'));
  now += 999;
  await new Promise((resolve) => setTimeout(resolve, 5));
  t.ok(await cache.get('a'), 'still there just before its TTL');
  now += 2;
  // lru-cache reads the clock at most once per millisecond (ttlResolution); let that pass.
  await new Promise((resolve) => setTimeout(resolve, 5));
  t.equal(await cache.get('a'), undefined);
  t.equal(cache.size, 0, 'the expired entry is dropped');
});

t.test('an LRU needs a positive size', async (t) => {
  t.throws(() => new LruCache(0), TypeError);
});

t.test('the LRU agrees with a plain reference model over many random operations', async (t) => {
  const cache = new LruCache(5);
  // The reference: keys from eldest to youngest.
  let order: string[] = [];
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  let mismatches = 0;
  for (let i = 0; i < 5000; i++) {
    const key = `k${random(9)}`;
    if (random(2) === 0) {
      await cache.set(key, result(i), 60);
      order = [...order.filter((k) => k !== key), key];
      if (order.length > 5) order.shift();
    } else {
      const hit = await cache.get(key);
      const want = order.includes(key);
      if ((hit !== undefined) !== want) mismatches++;
      if (want) order = [...order.filter((k) => k !== key), key];
    }
    if (cache.size !== order.length) mismatches++;
  }
  t.equal(mismatches, 0, 'same hits, misses and size at every step');
  // Setting an existing key replaces its value and makes it the youngest.
  await cache.set('k1', result(-1), 60);
  t.same((await cache.get('k1'))?.predictions, [-1]);
});
