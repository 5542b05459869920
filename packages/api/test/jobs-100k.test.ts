import { join } from 'node:path';
import t from 'tap';
import { type ResultLine, resultLines } from './helpers/job-results.js';
import { irisRows, settled, startJobGateway, storeDir, submitNdjson } from './helpers/jobs.js';
import { ROOT, spawnWorker, waitFor } from './helpers/stack.js';
import { privateVhost } from './helpers/vhost.js';

t.test(
  '100,000 rows on intermediate: every prediction equals the synchronous answer',
  async (t) => {
    const amqpUrl = await privateVhost(t);
    spawnWorker(t, join(ROOT, 'models', 'intermediate'), { AMQP_URL: amqpUrl });
    const gw = await startJobGateway(t, amqpUrl, 'file', await storeDir(t));
    await waitFor(
      'a live worker',
      async () => {
        return (await fetch(`${gw.base}/v2/models/intermediate/ready`)).status === 200;
      },
      90_000,
    );
    const rows = irisRows(100_000, 31);
    const submitted = await submitNdjson(gw.base, 'model_name=intermediate', rows);
    t.equal(submitted.status, 202);
    const done = await settled(gw.base, submitted.body.job_id, 300_000);
    t.equal(done.status, 'succeeded');
    const lines = await resultLines(gw.base, submitted.body.job_id);
    t.equal(lines.length, rows.length);
    let mismatches = 0;
    let compared = 0;
    for (let first = 0; first < rows.length; first += 1024) {
      const slice = rows.slice(first, first + 1024);
      const res = await fetch(`${gw.base}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model_name: 'intermediate', input_data: slice }),
      });
      const sync = (await res.json()) as { predictions: number[]; probabilities: number[][] };
      for (let i = 0; i < slice.length; i++) {
        const line = lines[first + i] as ResultLine;
        compared++;
        if (
          line.row !== first + i ||
          line.prediction !== sync.predictions[i] ||
          JSON.stringify(line.probabilities) !== JSON.stringify(sync.probabilities[i])
        ) {
          mismatches++;
        }
      }
    }
    t.equal(compared, rows.length, 'every row compared');
    t.equal(mismatches, 0, 'no row differs from /predict');
  },
);
