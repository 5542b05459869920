import { join } from 'node:path';
import t from 'tap';
import { checkEveryRowOnce, resultLines } from './helpers/job-results.js';
import {
  irisRows,
  jobStatus,
  settled,
  startJobGateway,
  storeDir,
  submitNdjson,
} from './helpers/jobs.js';
import { ROOT, spawnWorker, waitFor } from './helpers/stack.js';
import { privateVhost } from './helpers/vhost.js';

t.test('a worker SIGKILLed mid-job; another takes over, every row once', async (t) => {
  const amqpUrl = await privateVhost(t);
  const model = join(ROOT, 'models', 'slow');
  const doomed = spawnWorker(t, model, { AMQP_URL: amqpUrl, JOB_PREFETCH: '4' });
  const gw = await startJobGateway(t, amqpUrl, 'redis', await storeDir(t), {
    JOB_CHUNK_ROWS: '100',
  });
  await waitFor(
    'a live worker',
    async () => {
      return (await fetch(`${gw.base}/v2/models/slow/ready`)).status === 200;
    },
    90_000,
  );
  const rows = irisRows(30_000, 23);
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
