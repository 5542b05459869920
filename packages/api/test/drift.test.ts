import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { ROOT, spawnWorker, startGateway, uniqueModel, waitLive } from './helpers/stack.js';

const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

/** The 150 iris rows the models were trained from (the training set is 105 of them). */
async function irisRows(): Promise<number[][]> {
  const csv = await readFile(join(ROOT, 'models', 'training', 'data', 'iris.csv'), 'utf8');
  return csv
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',').slice(0, 4).map(Number));
}

function standardDeviation(rows: number[][], column: number): number {
  const values = rows.map((r) => r[column] as number);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
}

/** model_input_drift_psi of one model from the gateway's /metrics, by feature. */
function psiByFeature(metrics: string, model: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('model_input_drift_psi{') || !line.includes(`model_name="${model}"`)) {
      continue;
    }
    const feature = /feature="([^"]+)"/.exec(line)?.[1] as string;
    out[feature] = Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return out;
}

t.test('drift: PSI per feature through a real gateway and worker', async (t) => {
  const { name, dir } = await uniqueModel(t, 'fast');
  spawnWorker(t, dir);
  const rows = await irisRows();
  t.equal(rows.length, 150, 'the whole iris data set');
  const env = { DRIFT_MIN_ROWS: '100' };

  /** A fresh gateway (one replica's own windows) answering `sent` in requests of 10 rows. */
  const psiAfter = async (sent: number[][]): Promise<Record<string, number>> => {
    const gateway = await startGateway(t, env);
    await waitLive(gateway, name);
    for (let i = 0; i < sent.length; i += 10) {
      const res = await gateway.app.inject({
        method: 'POST',
        url: '/predict',
        payload: { model_name: name, input_data: sent.slice(i, i + 10) },
      });
      t.equal(res.statusCode, 200);
    }
    const metrics = await gateway.app.inject({ method: 'GET', url: '/metrics' });
    t.match(metrics.body, `model_input_bin_total{model_name="${name}"`, 'bin counters exposed');
    t.match(metrics.body, `model_reference_bin_ratio{model_name="${name}"`, 'reference shares too');
    return psiByFeature(metrics.body, name);
  };

  await t.test('in-distribution iris rows keep every feature under 0.1', async (t) => {
    // Twice over: the second pass is answered from the cache, and still counted.
    const psi = await psiAfter([...rows, ...rows]);
    t.same(Object.keys(psi).sort(), [...FEATURES].sort(), 'one gauge per feature');
    for (const feature of FEATURES)
      t.ok((psi[feature] as number) < 0.1, `${feature}: ${psi[feature]}`);
  });

  await t.test('one feature shifted by 2 sd: over 0.25 there, under 0.1 elsewhere', async (t) => {
    const shifted = 2; // petal_length
    const delta = 2 * standardDeviation(rows, shifted);
    const psi = await psiAfter(
      rows.map((r) => r.map((v, j) => (j === shifted ? Math.round((v + delta) * 100) / 100 : v))),
    );
    t.equal(Object.keys(psi).length, FEATURES.length, 'one gauge per feature');
    for (const [j, feature] of FEATURES.entries()) {
      if (j === shifted) t.ok((psi[feature] as number) > 0.25, `${feature}: ${psi[feature]}`);
      else t.ok((psi[feature] as number) < 0.1, `${feature}: ${psi[feature]}`);
    }
  });

  await t.test('below DRIFT_MIN_ROWS no PSI is reported', async (t) => {
    const psi = await psiAfter(rows.slice(0, 20));
    t.same(psi, {});
  });
});
