import { join } from 'node:path';
import t from 'tap';
import {
  irisRows,
  ndjson,
  STORE_KINDS,
  settled,
  startJobGateway,
  storeDir,
} from './helpers/jobs.js';
import { ROOT, spawnWorker, waitFor } from './helpers/stack.js';
import { privateVhost } from './helpers/vhost.js';

for (const kind of STORE_KINDS) {
  t.test(`${kind} store: an NDJSON job answers what /predict answers, row for row`, async (t) => {
    const amqpUrl = await privateVhost(t);
    spawnWorker(t, join(ROOT, 'models', 'fast'), { AMQP_URL: amqpUrl });
    const gw = await startJobGateway(t, amqpUrl, kind, await storeDir(t), {
      JOB_CHUNK_ROWS: '100',
    });
    await waitFor(
      'a live fast worker',
      async () => {
        const res = await fetch(`${gw.base}/v2/models/fast/ready`);
        return res.status === 200;
      },
      90_000,
    );
    const rows = irisRows(1050, 7);
    const res = await fetch(`${gw.base}/v1/jobs?model_name=fast`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: ndjson(rows),
    });
    t.equal(res.status, 202);
    const accepted = (await res.json()) as { job_id: string; status_url: string };
    t.equal(res.headers.get('location'), accepted.status_url);
    const done = await settled(gw.base, accepted.job_id);
    t.equal(done.status, 'succeeded');
    t.equal(done.rows_total, 1050);
    t.equal(done.rows_done, 1050);

    const result = (await (await fetch(`${gw.base}${accepted.status_url}/result`)).json()) as {
      predictions: number[];
      probabilities: number[][];
      labels: string[];
    };
    t.equal(result.predictions.length, 1050);
    const sync = (await (
      await fetch(`${gw.base}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model_name: 'fast', input_data: rows.slice(0, 1000) }),
      })
    ).json()) as { predictions: number[]; probabilities: number[][]; labels: string[] };
    t.same(result.predictions.slice(0, 1000), sync.predictions);
    t.same(result.probabilities.slice(0, 1000), sync.probabilities);
    t.same(result.labels.slice(0, 1000), sync.labels);

    const lines = (
      await (
        await fetch(`${gw.base}${accepted.status_url}/result`, {
          headers: { accept: 'application/x-ndjson' },
        })
      ).text()
    )
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { row: number; prediction: number; label: string });
    t.equal(lines.length, 1050);
    t.same(
      lines.map((l) => l.row),
      rows.map((_, i) => i),
      'NDJSON rows come in input order',
    );
    t.same(
      lines.map((l) => l.prediction),
      result.predictions,
    );
  });
}
