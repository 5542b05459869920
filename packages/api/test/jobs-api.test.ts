import { createServer } from 'node:http';
import { join } from 'node:path';
import t from 'tap';
import { signBody } from '../src/jobs/webhook.js';
import {
  irisRows,
  jobStatus,
  readEvents,
  STORE_KINDS,
  settled,
  startJobGateway,
  storeDir,
  submitJson,
  submitNdjson,
} from './helpers/jobs.js';
import { ROOT, spawnWorker, waitFor } from './helpers/stack.js';
import { privateVhost } from './helpers/vhost.js';

/** Ports of this file's own (the jobs work was given 34000-34099). */
const WORKER_METRICS_PORT = 34010;
const RECEIVER_PORT = 34011;

async function live(base: string, model: string) {
  await waitFor(
    `a live ${model} worker`,
    async () => {
      return (await fetch(`${base}/v2/models/${model}/ready`)).status === 200;
    },
    90_000,
  );
}

for (const kind of STORE_KINDS) {
  t.test(
    `${kind} store: the same Idempotency-Key and body give the same job; another body 409`,
    async (t) => {
      const amqpUrl = await privateVhost(t);
      spawnWorker(t, join(ROOT, 'models', 'fast'), { AMQP_URL: amqpUrl });
      const gw = await startJobGateway(t, amqpUrl, kind, await storeDir(t));
      await live(gw.base, 'fast');
      const rows = irisRows(50, 3);
      const key = { 'idempotency-key': `k-${Date.now()}` };
      const first = await submitJson(gw.base, { model_name: 'fast', input_data: rows }, key);
      t.equal(first.status, 202);
      const again = await submitJson(gw.base, { model_name: 'fast', input_data: rows }, key);
      t.equal(again.status, 202, 'a replay answers as the first did');
      t.equal(again.body.job_id, first.body.job_id, 'same key, same body: same job');
      const other = await submitJson(
        gw.base,
        { model_name: 'fast', input_data: rows.slice(1) },
        key,
      );
      t.equal(other.status, 409);
      t.equal(other.body.code, 'CONFLICT');
      const fresh = await submitJson(gw.base, { model_name: 'fast', input_data: rows });
      t.not(fresh.body.job_id, first.body.job_id, 'without a key every submit is a new job');
      t.equal((await settled(gw.base, first.body.job_id)).status, 'succeeded');
    },
  );

  t.test(`${kind} store: a row with 5 values fails the job and names the row`, async (t) => {
    const amqpUrl = await privateVhost(t);
    spawnWorker(t, join(ROOT, 'models', 'fast'), { AMQP_URL: amqpUrl });
    const gw = await startJobGateway(t, amqpUrl, kind, await storeDir(t), { JOB_CHUNK_ROWS: '10' });
    await live(gw.base, 'fast');
    const rows = irisRows(40, 5);
    rows[23] = [5.1, 3.5, 1.4, 0.2, 9.9];
    const submitted = await submitNdjson(gw.base, 'model_name=fast', rows);
    t.equal(submitted.status, 202);
    const done = await settled(gw.base, submitted.body.job_id);
    t.equal(done.status, 'failed');
    t.equal(done.error?.code, 'BAD_INPUT');
    t.match(done.error?.message, /\brow 23\b/, 'the error names row 23');
    const result = await fetch(`${gw.base}/v1/jobs/${submitted.body.job_id}/result`);
    t.equal(result.status, 409);
  });
}

t.test('cancel stops inference: the worker skips the remaining chunks', async (t) => {
  const amqpUrl = await privateVhost(t);
  spawnWorker(t, join(ROOT, 'models', 'slow'), {
    AMQP_URL: amqpUrl,
    PORT: String(WORKER_METRICS_PORT),
    JOB_PREFETCH: '1',
  });
  const gw = await startJobGateway(t, amqpUrl, 'redis', await storeDir(t), {
    JOB_CHUNK_ROWS: '100',
  });
  await live(gw.base, 'slow');
  const total = 100_000;
  const submitted = await submitNdjson(gw.base, 'model_name=slow', irisRows(total, 9));
  t.equal(submitted.status, 202);
  const id = submitted.body.job_id;
  await waitFor('some rows done', async () => (await jobStatus(gw.base, id)).rows_done > 0, 60_000);
  const canceled = await fetch(`${gw.base}/v1/jobs/${id}`, { method: 'DELETE' });
  t.equal(canceled.status, 200);
  t.equal(((await canceled.json()) as { status: string }).status, 'canceled');

  const metric = async (name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${WORKER_METRICS_PORT}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`));
    return line === undefined ? 0 : Number(line.split(' ').at(-1));
  };
  // Every chunk left behind is skipped, one by one, until the job queue is empty.
  await waitFor(
    'the job queue to drain',
    async () => {
      const backlog = await (await fetch(`${gw.base}/metrics`)).text();
      const line = backlog
        .split('\n')
        .find((l) => l.startsWith('job_backlog_chunks{model_name="slow"'));
      return line !== undefined && Number(line.split(' ').at(-1)) === 0;
    },
    120_000,
  );
  const skipped = await metric('job_chunks_skipped_total');
  const inferred = await metric('job_rows_inferred_total');
  t.ok(skipped > 0, `${skipped} chunks skipped without inference`);
  t.ok(inferred < total, `${inferred} of ${total} rows inferred`);
  t.equal(inferred + skipped * 100, total, 'every chunk was either inferred or skipped');
  const after = await jobStatus(gw.base, id);
  t.equal(after.status, 'canceled');
  t.ok(after.rows_done <= inferred, 'no row counted after the cancel beyond what was inferred');
});

t.test('an SSE reconnect with Last-Event-ID loses no event', async (t) => {
  const amqpUrl = await privateVhost(t);
  spawnWorker(t, join(ROOT, 'models', 'intermediate'), { AMQP_URL: amqpUrl, JOB_PREFETCH: '1' });
  const gw = await startJobGateway(t, amqpUrl, 'file', await storeDir(t), {
    JOB_CHUNK_ROWS: '200',
  });
  await live(gw.base, 'intermediate');
  const submitted = await submitNdjson(gw.base, 'model_name=intermediate', irisRows(20_000, 11));
  const url = `${gw.base}/v1/jobs/${submitted.body.job_id}/events`;
  const first = await readEvents(url, {}, (events) => events.length >= 3);
  t.equal(first.length, 3);
  const lastId = first.at(-1)?.id as number;
  const rest = await readEvents(url, { 'last-event-id': String(lastId) }, () => false);
  t.ok(rest.length > 0, `${rest.length} events after the reconnect`);
  t.equal(rest.at(-1)?.data.status, 'succeeded', 'the stream ends with the job');
  const seen = [...first, ...rest];
  t.same(
    seen.map((e) => e.id),
    seen.map((_, i) => i),
    'ids run 0, 1, 2... with no gap and no repeat across the reconnect',
  );
  const replay = await readEvents(url, {}, () => false);
  t.same(replay, seen, 'a fresh stream replays exactly the same events');
});

t.test('a callback_url gets one signed POST, retried after a failure', async (t) => {
  const secret = 'a-webhook-secret-of-some-length';
  const received: { body: string; signature: string | undefined }[] = [];
  let answers = 0;
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      answers++;
      // The first delivery fails: the gateway must retry.
      if (answers === 1) {
        res.writeHead(503).end();
        return;
      }
      received.push({ body, signature: req.headers['x-mlapi-signature'] as string | undefined });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(RECEIVER_PORT, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  const amqpUrl = await privateVhost(t);
  spawnWorker(t, join(ROOT, 'models', 'fast'), { AMQP_URL: amqpUrl });
  const gw = await startJobGateway(t, amqpUrl, 'redis', await storeDir(t), {
    JOB_WEBHOOK_SECRET: secret,
  });
  await live(gw.base, 'fast');
  const submitted = await submitJson(gw.base, {
    model_name: 'fast',
    input_data: irisRows(30, 2),
    callback_url: `http://127.0.0.1:${RECEIVER_PORT}/hook`,
  });
  t.equal(submitted.status, 202);
  await waitFor('the webhook', () => received.length >= 1, 30_000);
  t.equal(answers, 2, 'one failed delivery, one retry');
  const [hook] = received;
  t.equal(hook?.signature, signBody(secret, hook?.body ?? ''), 'signed over the raw body');
  const body = JSON.parse(hook?.body ?? '{}') as {
    job_id: string;
    status: string;
    rows_done: number;
  };
  t.equal(body.job_id, submitted.body.job_id);
  t.equal(body.status, 'succeeded');
  t.equal(body.rows_done, 30);
});
