import { fileURLToPath } from 'node:url';
import t from 'tap';
import { TrainingError } from '../src/errors.js';
import { LABELS, loadIris, parseIrisCsv } from '../src/iris.js';

const CSV = fileURLToPath(new URL('../data/iris.csv', import.meta.url));

const sums = (rows: readonly (readonly number[])[]) =>
  [0, 1, 2, 3].map((j) => Math.round(rows.reduce((s, r) => s + (r[j] as number), 0) * 10) / 10);

t.test('the shipped csv is the 150-row iris set with 50 flowers per species', async (t) => {
  const data = await loadIris(CSV);
  t.equal(data.features.length, 150);
  t.equal(data.labels.length, 150);
  t.same(
    LABELS.map((_, k) => data.labels.filter((l) => l === k).length),
    [50, 50, 50],
  );
});

t.test('column sums and means are the well-known iris figures', async (t) => {
  const data = await loadIris(CSV);
  t.same(sums(data.features), [876.5, 458.6, 563.7, 179.9]);
  const means = sums(data.features).map((s) => Math.round((s / 150) * 1000) / 1000);
  t.same(means, [5.843, 3.057, 3.758, 1.199]);
});

t.test(
  'per-species sums match Fisher’s data (and not the UCI rows 35 and 38 errata)',
  async (t) => {
    const data = await loadIris(CSV);
    const bySpecies = LABELS.map((_, k) => data.features.filter((_, i) => data.labels[i] === k));
    t.same(sums(bySpecies[0] ?? []), [250.3, 171.4, 73.1, 12.3]);
    t.same(sums(bySpecies[1] ?? []), [296.8, 138.5, 213.0, 66.3]);
    t.same(sums(bySpecies[2] ?? []), [329.4, 148.7, 277.6, 101.3]);
    t.same(data.features[34], [4.9, 3.1, 1.5, 0.2]);
    t.same(data.features[37], [4.9, 3.6, 1.4, 0.1]);
  },
);

t.test('malformed data is refused with BAD_DATA', async (t) => {
  const header = 'sepal_length,sepal_width,petal_length,petal_width,species';
  const cases = {
    'wrong header': 'a,b,c,d,e\n5.1,3.5,1.4,0.2,setosa',
    'unknown species': `${header}\n5.1,3.5,1.4,0.2,rosa`,
    'non-numeric cell': `${header}\n5.1,x,1.4,0.2,setosa`,
    'missing cell': `${header}\n5.1,3.5,1.4,setosa`,
  };
  for (const [name, text] of Object.entries(cases)) {
    t.throws(() => parseIrisCsv(text), { code: 'BAD_DATA' }, name);
  }
  await t.rejects(loadIris('/nonexistent/iris.csv'), { code: 'BAD_DATA' });
  t.type(new TrainingError('BAD_DATA', 'x'), Error);
});
