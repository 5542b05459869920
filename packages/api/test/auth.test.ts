import t from 'tap';
import { ADMIN_KEY, authEnv, bearer, createKey, STORES } from './helpers/identity.js';
import { startGateway, unique } from './helpers/stack.js';

const row = [[5.1, 3.5, 1.4, 0.2]];

for (const store of STORES) {
  t.test(`${store} store: who may call what`, async (t) => {
    const gw = await startGateway(t, await authEnv(t, store));
    const model = unique('m');
    const key = await createKey(gw.app, { models: [model], scopes: ['predict'] });
    t.teardown(() =>
      gw.app.inject({ method: 'DELETE', url: `/admin/keys/${key.id}`, headers: bearer(ADMIN_KEY) }),
    );
    t.match(key.key, /^mlk_[a-f0-9]{12}_[a-f0-9]{64}$/, 'the key has the documented shape');
    const predict = (headers: Record<string, string>, model_name = model) =>
      gw.app.inject({
        method: 'POST',
        url: '/predict',
        headers,
        payload: { model_name, input_data: row },
      });

    const none = await predict({});
    t.equal(none.statusCode, 401);
    t.equal(none.json().code, 'UNAUTHENTICATED', 'no key');
    const unknown = await predict(bearer(`mlk_000000000000_${'0'.repeat(64)}`));
    t.equal(unknown.json().code, 'UNAUTHENTICATED', 'an unknown key');
    const wrong = await predict(bearer(`mlk_${key.id}_${'a'.repeat(64)}`));
    t.equal(wrong.statusCode, 401);
    t.equal(wrong.json().code, 'UNAUTHENTICATED', 'a wrong secret');
    const garbage = await predict({ 'x-api-key': 'hello' });
    t.equal(garbage.json().code, 'UNAUTHENTICATED', 'not a key at all');

    // The model has no worker: a caller that gets past identity meets UNAVAILABLE or UNKNOWN_MODEL.
    for (const headers of [bearer(key.key), { 'x-api-key': key.key }]) {
      const ok = await predict(headers);
      t.notOk([401, 403, 429].includes(ok.statusCode), `a valid key passes (${ok.statusCode})`);
    }
    const otherModel = await predict(bearer(key.key), unique('other'));
    t.equal(otherModel.statusCode, 403);
    t.equal(otherModel.json().code, 'FORBIDDEN', 'a model outside the key');
    const admin = await gw.app.inject({ url: '/admin/keys', headers: bearer(key.key) });
    t.equal(admin.statusCode, 403);
    t.equal(admin.json().code, 'FORBIDDEN', 'a verb (scope) outside the key');
    const metrics = await gw.app.inject({ url: '/metrics', headers: bearer(key.key) });
    t.equal(metrics.statusCode, 403, '/metrics needs the admin scope');
    const adminPredict = await predict(bearer(ADMIN_KEY));
    t.equal(adminPredict.statusCode, 403, 'the bootstrap admin key may not predict');

    for (const url of ['/health/live', '/v2/health/live', '/openapi.json', '/docs']) {
      const res = await gw.app.inject({ url });
      t.notOk([401, 403].includes(res.statusCode), `${url} stays open (${res.statusCode})`);
    }

    const disabled = await gw.app.inject({
      method: 'PATCH',
      url: `/admin/keys/${key.id}`,
      headers: bearer(ADMIN_KEY),
      payload: { disabled: true },
    });
    t.equal(disabled.statusCode, 200);
    t.equal((await predict(bearer(key.key))).statusCode, 401, 'a disabled key is refused');

    const expired = await createKey(gw.app, {
      models: ['*'],
      expires_at: new Date(Date.now() - 1000).toISOString(),
    });
    t.equal((await predict(bearer(expired.key))).statusCode, 401, 'an expired key is refused');
    await gw.app.inject({
      method: 'DELETE',
      url: `/admin/keys/${expired.id}`,
      headers: bearer(ADMIN_KEY),
    });
  });
}

t.test('AUTH=keys without a pepper does not start', async (t) => {
  const { loadConfig } = await import('../src/config.js');
  t.throws(() => loadConfig({ AUTH: 'keys' }), {
    code: 'CONFIG_INVALID',
    variable: 'API_KEY_PEPPER',
  });
  t.throws(() => loadConfig({ AUTH: 'keys', API_KEY_PEPPER: 'short' }), {
    code: 'CONFIG_INVALID',
    variable: 'API_KEY_PEPPER',
  });
  t.throws(() => loadConfig({ AUTH: 'maybe' }), { code: 'CONFIG_INVALID', variable: 'AUTH' });
});
