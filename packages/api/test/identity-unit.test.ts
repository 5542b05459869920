import { Registry } from 'prom-client';
import t from 'tap';
import {
  credentialOf,
  generateKey,
  hashSecret,
  parseKey,
  secretMatches,
} from '../src/identity/api-key.js';
import { KeyMetrics, OTHER_KEYS } from '../src/identity/key-metrics.js';
import { rateLimitHeaders } from '../src/identity/rate-limit-headers.js';
import { requestRows } from '../src/identity/request-rows.js';
import { usageWindows, usageWindowsClock } from '../src/identity/usage-windows.js';

t.test('a key splits into id and secret; anything else is not a key', async (t) => {
  const made = generateKey();
  t.same(parseKey(made.key), { id: made.id, secret: made.secret });
  t.equal(made.secret.length, 64, '256 bits of secret');
  t.not(generateKey().key, made.key);
  for (const bad of [
    '',
    'mlk_',
    `mlk_${made.id}`,
    `mlk_${made.id}_short`,
    made.key.toUpperCase(),
    `x${made.key}`,
  ]) {
    t.equal(parseKey(bad), null, JSON.stringify(bad.slice(0, 20)));
  }
});

t.test('secrets are compared by their HMAC under the pepper', async (t) => {
  const { secret } = generateKey();
  const stored = hashSecret('pepper-a', secret);
  t.not(stored.includes(secret), true);
  t.ok(secretMatches('pepper-a', secret, stored));
  t.notOk(secretMatches('pepper-b', secret, stored), 'another pepper does not match');
  t.notOk(secretMatches('pepper-a', generateKey().secret, stored));
  t.notOk(secretMatches('pepper-a', secret, 'abcd'), 'a malformed stored hash never matches');
});

t.test('the credential comes from Bearer first, else the key header', async (t) => {
  t.equal(credentialOf({ authorization: 'Bearer abc', 'x-api-key': 'def' }, 'x-api-key'), 'abc');
  t.equal(credentialOf({ authorization: 'bearer  abc ' }, 'x-api-key'), 'abc');
  t.equal(credentialOf({ 'x-api-key': 'def' }, 'x-api-key'), 'def');
  t.equal(credentialOf({ authorization: 'Basic abc' }, 'x-api-key'), undefined);
  t.equal(credentialOf({}, 'x-api-key'), undefined);
});

t.test('rows per route family', async (t) => {
  t.equal(requestRows({ input_data: [[1], [2], [3]] }), 3);
  t.equal(requestRows({ input_data: [1, 2, 3, 4] }), 1, 'a flat row is one');
  t.equal(requestRows({ instances: [[1], [2]] }), 2);
  t.equal(requestRows({ inputs: [{ shape: [5, 4] }] }), 5);
  t.equal(requestRows({ inputs: [{ shape: [4] }] }), 1);
  t.equal(requestRows(undefined), 0);
});

t.test('RateLimit-Policy and RateLimit name each limit the caller has', async (t) => {
  const now = Date.UTC(2030, 5, 15, 12, 0, 30);
  const windows = usageWindows(now, 60_000);
  const headers = rateLimitHeaders(
    { requestsPerMinute: 10, rowsPerDay: 100, rowsPerMonth: null },
    { requests: 3, rowsToday: 40, rowsThisMonth: 40 },
    windows,
    now,
  );
  t.same(headers, {
    policy: '"requests";q=10;w=60, "rows-day";q=100;w=86400',
    state: '"requests";r=7;t=30, "rows-day";r=60;t=43170',
  });
  t.equal(
    rateLimitHeaders(
      { requestsPerMinute: null, rowsPerDay: null, rowsPerMonth: null },
      null,
      windows,
      now,
    ),
    null,
    'no limits, no headers',
  );
});

t.test('per-key metric labels are capped', async (t) => {
  const metrics = new KeyMetrics(new Registry(), 2);
  t.equal(metrics.label('aaaaaaaaaaaa'), 'aaaaaaaaaaaa');
  t.equal(metrics.label('bbbbbbbbbbbb'), 'bbbbbbbbbbbb');
  t.equal(metrics.label('cccccccccccc'), OTHER_KEYS, 'the third key shares a label');
  t.equal(metrics.label('aaaaaaaaaaaa'), 'aaaaaaaaaaaa', 'a labelled key keeps its label');
});

t.test('the sticky caller is the API key id first', async (t) => {
  const { callerKey } = await import('../src/traffic/caller.js');
  const base = { headers: { 'x-session-id': 's1' }, ip: '10.0.0.1' };
  const keyed = {
    ...base,
    caller: {
      keyId: 'abcdefabcdef',
      subject: 'k:abcdefabcdef',
      models: [],
      scopes: [],
      limits: {},
    },
  };
  t.equal(callerKey(keyed as never), 'k:abcdefabcdef');
  t.equal(callerKey({ ...base, caller: null } as never), 's:s1', 'no key: the session');
  t.equal(callerKey({ headers: {}, ip: '10.0.0.1', caller: null } as never), 'ip:10.0.0.1');
});

t.test('the windows clock answers what usageWindows() would, across every boundary', async (t) => {
  const lastMinuteOfJanuary = Date.UTC(2031, 0, 31, 23, 59, 0);
  for (const windowMs of [60_000, 7_000]) {
    const clock = usageWindowsClock(windowMs);
    const instants = [
      lastMinuteOfJanuary,
      lastMinuteOfJanuary + 1,
      lastMinuteOfJanuary + 6_999,
      lastMinuteOfJanuary + 7_000,
      lastMinuteOfJanuary + 59_999,
      lastMinuteOfJanuary + 60_000, // 1 February: a new minute, day and month
      lastMinuteOfJanuary + 60_001,
      lastMinuteOfJanuary - 1, // a clock that steps back
      lastMinuteOfJanuary + 90_000,
    ];
    t.equal(instants.length, 9);
    for (const at of instants) {
      t.same(clock(at), usageWindows(at, windowMs), `${windowMs} ms windows at ${at}`);
    }
  }
});
