import t from 'tap';
import { ADMIN_KEY, bearer, createKey } from './helpers/identity.js';
import {
  irisRows,
  STORE_KINDS,
  settled,
  startKeyedJobGateway,
  submitJson,
} from './helpers/jobs.js';
import { waitFor } from './helpers/stack.js';

// DESIGN.md, "Jobs": a job belongs to the key that submitted it; any other caller gets 404
// NOT_FOUND, on every job route, and a key without the jobs scope may not submit at all.

for (const kind of STORE_KINDS) {
  t.test(`${kind} store: another key's job is 404 on every route`, async (t) => {
    const gw = await startKeyedJobGateway(t, kind);
    const owner = await createKey(gw.app, { scopes: ['jobs'] });
    const other = await createKey(gw.app, { scopes: ['jobs', 'predict'] });
    const predictOnly = await createKey(gw.app, { scopes: ['predict'] });
    t.teardown(async () => {
      for (const key of [owner, other, predictOnly]) {
        await gw.app.inject({
          method: 'DELETE',
          url: `/admin/keys/${key.id}`,
          headers: bearer(ADMIN_KEY),
        });
      }
    });
    await waitFor(
      'a live fast worker',
      async () =>
        (await fetch(`${gw.base}/v2/models/fast/ready`, { headers: bearer(other.key) })).status ===
        200,
      90_000,
    );

    const body = { model_name: 'fast', input_data: irisRows(10, 3) };
    const anonymous = await submitJson(gw.base, body);
    t.equal(anonymous.status, 401, 'no key: no job');
    const noScope = await submitJson(gw.base, body, bearer(predictOnly.key));
    t.equal(noScope.status, 403);
    t.equal(noScope.body.code, 'FORBIDDEN', 'a key without the jobs scope may not submit');

    const submitted = await submitJson(gw.base, body, bearer(owner.key));
    t.equal(submitted.status, 202);
    const id = submitted.body.job_id;
    const done = await settled(gw.base, id, 120_000, bearer(owner.key));
    t.equal(done.status, 'succeeded', 'the owner sees its job through');

    const routes = [
      ['GET', `/v1/jobs/${id}`],
      ['GET', `/v1/jobs/${id}/result`],
      ['GET', `/v1/jobs/${id}/events`],
      ['DELETE', `/v1/jobs/${id}`],
    ] as const;
    t.equal(routes.length, 4);
    for (const [method, url] of routes) {
      const res = await fetch(`${gw.base}${url}`, { method, headers: bearer(other.key) });
      t.equal(res.status, 404, `${method} ${url} by another key`);
      t.equal(((await res.json()) as { code: string }).code, 'NOT_FOUND');
    }
    const mine = await fetch(`${gw.base}/v1/jobs/${id}/result`, { headers: bearer(owner.key) });
    t.equal(mine.status, 200, 'the owner still gets its result');
    t.equal(((await mine.json()) as { predictions: number[] }).predictions.length, 10);
  });
}
