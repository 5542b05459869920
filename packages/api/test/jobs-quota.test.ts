import t from 'tap';
import { ADMIN_KEY, bearer, createKey } from './helpers/identity.js';
import {
  irisRows,
  STORE_KINDS,
  startKeyedJobGateway,
  submitJson,
  submitNdjson,
} from './helpers/jobs.js';
import { waitFor } from './helpers/stack.js';

// Issue 12: a key's jobs count against its row quota. A JSON body's rows are counted with the
// request; an NDJSON upload's rows are charged chunk by chunk as they stream in, and a chunk
// that would pass the quota fails the job with 429 QUOTA_EXCEEDED and gives back what the
// upload had charged.

for (const kind of STORE_KINDS) {
  t.test(`${kind} store: job rows count against the key's daily row quota`, async (t) => {
    const gw = await startKeyedJobGateway(t, kind, { JOB_CHUNK_ROWS: '100' });
    const key = await createKey(gw.app, { scopes: ['jobs', 'predict'], rows_per_day: 250 });
    t.teardown(async () => {
      await gw.app.inject({
        method: 'DELETE',
        url: `/admin/keys/${key.id}`,
        headers: bearer(ADMIN_KEY),
      });
    });
    const auth = bearer(key.key);
    await waitFor(
      'a live fast worker',
      async () =>
        (await fetch(`${gw.base}/v2/models/fast/ready`, { headers: auth })).status === 200,
      90_000,
    );
    const rowsToday = async () => {
      const res = await fetch(`${gw.base}/v1/usage`, { headers: auth });
      return ((await res.json()) as { rows_today: { used: number } }).rows_today.used;
    };

    const first = await submitNdjson(gw.base, 'model_name=fast', irisRows(200, 1), auth);
    t.equal(first.status, 202, 'an upload within the quota is a job');
    t.equal(await rowsToday(), 200, 'its 200 rows are counted');

    const over = await submitNdjson(gw.base, 'model_name=fast', irisRows(100, 2), auth);
    t.equal(over.status, 429, 'an upload that would pass the quota is refused');
    t.equal(over.body.code, 'QUOTA_EXCEEDED');
    t.equal(await rowsToday(), 200, 'and consumes nothing');

    const partial = await submitNdjson(gw.base, 'model_name=fast', irisRows(150, 3), auth);
    t.equal(partial.status, 429, 'an upload whose second chunk passes the quota fails');
    t.equal(partial.body.code, 'QUOTA_EXCEEDED');
    t.equal(await rowsToday(), 200, 'its first chunk is given back');

    const json = await submitJson(
      gw.base,
      { model_name: 'fast', input_data: irisRows(60, 4) },
      auth,
    );
    t.equal(json.status, 429, 'a JSON body is counted whole, with the request');
    t.equal(json.body.code, 'QUOTA_EXCEEDED');
    const fits = await submitJson(
      gw.base,
      { model_name: 'fast', input_data: irisRows(50, 5) },
      auth,
    );
    t.equal(fits.status, 202, 'the rest of the quota is still there');
    t.equal(await rowsToday(), 250);
  });
}
