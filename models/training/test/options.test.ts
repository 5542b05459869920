import t from 'tap';
import { DEFAULT_OPTIONS, normalizeOptions } from '../src/export-options.js';

t.test('defaults apply when no options are given', async (t) => {
  const o = normalizeOptions();
  t.equal(o.seed, DEFAULT_OPTIONS.seed);
  t.equal(o.testFraction, 0.3);
  t.equal(o.minAccuracy, 0.9);
  t.same(o.models, ['fast', 'intermediate', 'slow']);
  t.match(o.outDir, /models$/);
  t.match(o.dataPath, /data[\\/]iris\.csv$/);
});

t.test('each bad option is refused with a TypeError', async (t) => {
  const bad: Record<string, unknown> = {
    outDir: '',
    dataPath: 42,
    seed: -1,
    testFraction: 1,
    minAccuracy: 1.5,
    models: ['fast', 'huge'],
    logger: { info: 'no' },
  };
  for (const [name, value] of Object.entries(bad)) {
    t.throws(() => normalizeOptions({ [name]: value } as never), TypeError, name);
  }
  t.throws(() => normalizeOptions({ models: ['fast', 'fast'] }), TypeError, 'duplicate models');
  t.throws(() => normalizeOptions({ models: [] }), TypeError, 'no models');
});

t.test('a null logger is accepted and silent', async (t) => {
  const o = normalizeOptions({ logger: null });
  t.doesNotThrow(() => o.logger.info({}, 'nothing'));
});
