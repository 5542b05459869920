import t from 'tap';
import { loadModel, ModelWorker } from '../src/index.js';
import { modelDir } from './helpers/fixtures.js';

t.test('the worker consumes mlapi.<manifest name> unless told otherwise', async (t) => {
  const model = await loadModel(modelDir('fast'));
  t.equal(new ModelWorker({ model, logger: null }).queue, 'mlapi.fast.1');
  t.equal(new ModelWorker({ model, logger: null, queue: 'mlapi.other' }).queue, 'mlapi.other');
});

t.test('bad options are rejected with a TypeError before any I/O', async (t) => {
  const model = await loadModel(modelDir('fast'));
  const bad: [string, object][] = [
    ['no model', { model: undefined }],
    ['an empty queue', { model, queue: '' }],
    ['batchMaxMessages 0', { model, batchMaxMessages: 0 }],
    ['batchMaxRows 0', { model, batchMaxRows: 0 }],
    ['maxRowsPerRequest -1', { model, maxRowsPerRequest: -1 }],
    ['a negative window', { model, batchWindowMs: -5 }],
    ['an unknown option', { model, batchSize: 4 }],
  ];
  for (const [what, options] of bad) {
    t.throws(
      () => new ModelWorker(options as ConstructorParameters<typeof ModelWorker>[0]),
      TypeError,
      what,
    );
  }
});
