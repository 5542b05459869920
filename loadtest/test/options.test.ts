import t from 'tap';
import { DEFAULT_OPTIONS, normalizeOptions, QUICK_OPTIONS } from '../src/options.js';

t.test('no options gives the documented defaults', async (t) => {
  t.same(normalizeOptions(), DEFAULT_OPTIONS);
  t.ok(Object.isFrozen(normalizeOptions()));
});

t.test('quick mode shortens the cells', async (t) => {
  const o = normalizeOptions(QUICK_OPTIONS);
  t.ok(o.durationSeconds < DEFAULT_OPTIONS.durationSeconds);
});

t.test('a url is reduced to its origin', async (t) => {
  t.equal(normalizeOptions({ url: 'http://127.0.0.1:8080/' }).url, 'http://127.0.0.1:8080');
});

t.test('each bad option is refused with a TypeError naming it', async (t) => {
  const cases: [string, Parameters<typeof normalizeOptions>[0]][] = [
    ['durationSeconds', { durationSeconds: 0 }],
    ['durationSeconds', { durationSeconds: Number.NaN }],
    ['warmupSeconds', { warmupSeconds: -1 }],
    ['openLoopRate', { openLoopRate: 0.5 }],
    ['concurrencies', { concurrencies: [] }],
    ['concurrencies', { concurrencies: [64, 0] }],
    ['url', { url: 'ftp://x' }],
    ['url', { url: 'not a url' }],
    ['only', { only: [''] }],
    ['only', { only: ['(unclosed'] }],
    ['port', { port: 70_000 }],
    ['redisUrl', { redisUrl: 'http://x' }],
  ];
  for (const [name, bad] of cases) {
    t.throws(
      () => normalizeOptions(bad),
      { name: 'TypeError', code: 'BENCH_BAD_OPTION', option: name },
      name,
    );
  }
});
