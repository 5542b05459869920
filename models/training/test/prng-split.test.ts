import t from 'tap';
import { Prng } from '../src/prng.js';
import { stratifiedSplit } from '../src/split.js';

t.test('the same seed gives the same sequence and a different seed a different one', async (t) => {
  const draw = (seed: number) =>
    Array.from({ length: 5 }, () => new Prng(seed)).map((p) => p.next());
  const a = new Prng(42);
  const b = new Prng(42);
  const c = new Prng(43);
  const seqA = Array.from({ length: 100 }, () => a.next());
  t.same(
    seqA,
    Array.from({ length: 100 }, () => b.next()),
  );
  t.not(seqA[0], c.next());
  t.ok(seqA.every((v) => v >= 0 && v < 1));
  t.equal(new Set(draw(1)).size, 1);
});

t.test('normal draws have about zero mean and unit variance', async (t) => {
  const rng = new Prng(1);
  const n = 20000;
  const xs = Array.from({ length: n }, () => rng.normal());
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
  t.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  t.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
});

t.test('a seed outside [0, 2^32) is a TypeError', async (t) => {
  t.throws(() => new Prng(-1), TypeError);
  t.throws(() => new Prng(1.5), TypeError);
  t.throws(() => new Prng(2 ** 32), TypeError);
});

t.test('the stratified split holds out 30% of every class, disjoint and complete', async (t) => {
  const labels = [...Array(50).fill(0), ...Array(50).fill(1), ...Array(50).fill(2)] as number[];
  const split = stratifiedSplit(labels, 0.3, new Prng(7));
  t.equal(split.test.length, 45);
  t.equal(split.train.length, 105);
  for (const k of [0, 1, 2]) t.equal(split.test.filter((i) => labels[i] === k).length, 15);
  t.same(
    [...split.train, ...split.test].sort((a, b) => a - b),
    labels.map((_, i) => i),
  );
  t.same(stratifiedSplit(labels, 0.3, new Prng(7)), split, 'same seed, same split');
  t.notSame(stratifiedSplit(labels, 0.3, new Prng(8)).test, split.test, 'other seed, other split');
});
