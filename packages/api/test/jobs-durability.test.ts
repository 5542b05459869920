import { join } from 'node:path';
import t, { type Test } from 'tap';
import {
  irisRows,
  jobStatus,
  STORE_KINDS,
  settled,
  startJobGateway,
  storeDir,
  storeEnv,
  submitNdjson,
} from './helpers/jobs.js';
import { API_MAIN, oracle, ROOT, spawnNode, spawnWorker, waitFor } from './helpers/stack.js';
import { privateVhost } from './helpers/vhost.js';

/** The spawned gateway's port, from the range given to the jobs work (34000-34099). */
const GATEWAY_PORT = 34001;

interface ResultLine {
  row: number;
  prediction: number;
  probabilities: number[];
}

async function resultLines(base: string, id: string): Promise<ResultLine[]> {
  const res = await fetch(`${base}/v1/jobs/${id}/result`, {
    headers: { accept: 'application/x-ndjson' },
  });
  const text = await res.text();
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ResultLine);
}

/** Every row exactly once, in order, each with the model's own answer for it. */
async function checkEveryRowOnce(
  t: Test,
  model: 'intermediate' | 'slow',
  lines: ResultLine[],
  rows: number[][],
) {
  t.equal(lines.length, rows.length, 'one line per row');
  t.same(
    lines.map((l) => l.row),
    rows.map((_, i) => i),
    'each row exactly once, in input order',
  );
  const session = await oracle(model);
  try {
    const expected = await session.run(rows);
    t.same(
      lines.map((l) => l.prediction),
      expected.predictions,
      'every prediction is the model’s own',
    );
  } finally {
    await session.release();
  }
}

for (const kind of STORE_KINDS) {
  t.test(
    `${kind} store: a gateway SIGKILLed mid-job; the job completes, every row once`,
    async (t) => {
      const amqpUrl = await privateVhost(t);
      const dir = await storeDir(t);
      // The slow model, so the job is still running when the gateway dies.
      spawnWorker(t, join(ROOT, 'models', 'slow'), { AMQP_URL: amqpUrl, JOB_PREFETCH: '1' });
      const env = {
        AMQP_URL: amqpUrl,
        PORT: String(GATEWAY_PORT),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        JOB_CHUNK_ROWS: '100',
        ...storeEnv(kind, dir),
      };
      const base = `http://127.0.0.1:${GATEWAY_PORT}`;
      const up = () =>
        waitFor('the gateway', async () => {
          const res = await fetch(`${base}/v2/models/slow/ready`).catch(() => null);
          return res?.status === 200;
        });
      const first = spawnNode(t, API_MAIN, env);
      await up();
      const rows = irisRows(50_000, 21);
      const submitted = await submitNdjson(base, 'model_name=slow', rows);
      t.equal(submitted.status, 202);
      const id = submitted.body.job_id;
      let before = 0;
      await waitFor('some rows done', async () => {
        before = (await jobStatus(base, id)).rows_done;
        return before > 0;
      });
      first.child.kill('SIGKILL');
      t.ok(before < rows.length, `killed with ${before} of ${rows.length} rows done`);
      await first.exited;

      spawnNode(t, API_MAIN, env);
      await up();
      const done = await settled(base, id);
      t.equal(done.status, 'succeeded');
      t.equal(done.rows_done, rows.length, 'progress counted each row once');
      await checkEveryRowOnce(t, 'slow', await resultLines(base, id), rows);
    },
  );
}

t.test('a worker SIGKILLed mid-job; another takes over, every row once', async (t) => {
  const amqpUrl = await privateVhost(t);
  const model = join(ROOT, 'models', 'slow');
  const doomed = spawnWorker(t, model, { AMQP_URL: amqpUrl, JOB_PREFETCH: '4' });
  const gw = await startJobGateway(t, amqpUrl, 'redis', await storeDir(t), {
    JOB_CHUNK_ROWS: '100',
  });
  await waitFor('a live worker', async () => {
    return (await fetch(`${gw.base}/v2/models/slow/ready`)).status === 200;
  });
  const rows = irisRows(50_000, 23);
  const submitted = await submitNdjson(gw.base, 'model_name=slow', rows);
  const id = submitted.body.job_id;
  await waitFor('some rows done', async () => (await jobStatus(gw.base, id)).rows_done > 0, 60_000);
  doomed.child.kill('SIGKILL');
  await doomed.exited;
  const before = (await jobStatus(gw.base, id)).rows_done;
  t.ok(before < rows.length, `killed with ${before} of ${rows.length} rows done`);
  spawnWorker(t, model, { AMQP_URL: amqpUrl, JOB_PREFETCH: '4' });
  const done = await settled(gw.base, id);
  t.equal(done.status, 'succeeded');
  t.equal(done.rows_done, rows.length);
  await checkEveryRowOnce(t, 'slow', await resultLines(gw.base, id), rows);
});

t.test(
  '100,000 rows on intermediate: every prediction equals the synchronous answer',
  async (t) => {
    const amqpUrl = await privateVhost(t);
    spawnWorker(t, join(ROOT, 'models', 'intermediate'), { AMQP_URL: amqpUrl });
    const gw = await startJobGateway(t, amqpUrl, 'file', await storeDir(t));
    await waitFor('a live worker', async () => {
      return (await fetch(`${gw.base}/v2/models/intermediate/ready`)).status === 200;
    });
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
