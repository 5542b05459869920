import { join } from 'node:path';
import t from 'tap';
import { checkEveryRowOnce, resultLines } from './helpers/job-results.js';
import {
  irisRows,
  jobStatus,
  STORE_KINDS,
  settled,
  storeDir,
  storeEnv,
  submitNdjson,
} from './helpers/jobs.js';
import { API_MAIN, ROOT, spawnNode, spawnWorker, waitFor } from './helpers/stack.js';
import { privateVhost } from './helpers/vhost.js';

/** The spawned gateway's port, from the range given to the jobs work (34000-34099). */
const GATEWAY_PORT = 34001;

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
        waitFor(
          'the gateway',
          async () => {
            const res = await fetch(`${base}/v2/models/slow/ready`).catch(() => null);
            return res?.status === 200;
          },
          90_000,
        );
      const first = spawnNode(t, API_MAIN, env);
      await up();
      const rows = irisRows(30_000, 21);
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
