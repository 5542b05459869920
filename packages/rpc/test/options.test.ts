import t from 'tap';
import {
  DEFAULT_CLIENT_OPTIONS,
  DEFAULT_SERVER_OPTIONS,
  normalizeClientOptions,
  normalizeServerOptions,
  PresencePublisher,
  PresenceTracker,
  parseBrokerUrls,
  RpcClient,
  redactUrl,
} from '../src/index.js';

const badClient: Array<[string, Record<string, unknown>]> = [
  ['url', { url: 'http://localhost' }],
  ['url', { url: 42 }],
  ['url', { url: ' , ' }],
  ['url', { url: 'amqp://a:5672,http://b' }],
  ['poolSize', { poolSize: 0 }],
  ['poolSize', { poolSize: 1.5 }],
  ['poolSize', { poolSize: '4' }],
  ['timeoutMs', { timeoutMs: 0 }],
  ['timeoutMs', { timeoutMs: 2 ** 31 }],
  ['timeoutMs', { timeoutMs: Number.NaN }],
  ['maxInFlight', { maxInFlight: -1 }],
  ['heartbeatSeconds', { heartbeatSeconds: -1 }],
  ['heartbeatSeconds', { heartbeatSeconds: 70_000 }],
  ['reconnectInitialDelayMs', { reconnectInitialDelayMs: 0 }],
  ['reconnectMaxDelayMs', { reconnectInitialDelayMs: 500, reconnectMaxDelayMs: 100 }],
  ['acquireTimeoutMs', { acquireTimeoutMs: 0 }],
  ['connectionName', { connectionName: '' }],
  ['logger', { logger: { info() {} } }],
  ['timeout', { timeout: 5 }],
];

const badServer: Array<[string, Record<string, unknown>]> = [
  ['queue', {}],
  ['queue', { queue: '' }],
  ['queue', { queue: 'amq.reserved' }],
  ['queue', { queue: 'x'.repeat(256) }],
  ['prefetch', { queue: 'q', prefetch: 0 }],
  ['prefetch', { queue: 'q', prefetch: 70_000 }],
  ['concurrency', { queue: 'q', concurrency: 0 }],
  ['maxBatch', { queue: 'q', maxBatch: 0 }],
  ['batchWindowMs', { queue: 'q', batchWindowMs: -1 }],
  ['maxLength', { queue: 'q', maxLength: 0 }],
  ['heartbeatSeconds', { queue: 'q', heartbeatSeconds: 0.5 }],
  ['logger', { queue: 'q', logger: 'console' }],
  ['prefech', { queue: 'q', prefech: 10 }],
];

t.test('each bad client option gives a TypeError naming that option', async (t) => {
  for (const [name, options] of badClient) {
    t.throws(() => normalizeClientOptions(options), TypeError, name);
    const error = t.throws(() => new RpcClient(options)) as Error;
    t.match(error.message, name, `${name}: the message names the option`);
  }
});

t.test('each bad server option gives a TypeError naming that option', async (t) => {
  for (const [name, options] of badServer) {
    const error = t.throws(() =>
      normalizeServerOptions(options as unknown as { queue: string }),
    ) as Error;
    t.type(error, TypeError, name);
    t.match(error.message, name, `${name}: the message names the option`);
  }
});

t.test('bad presence options give a TypeError', async (t) => {
  const meta = () => ({});
  const ready = () => true;
  t.throws(() => new PresencePublisher({ service: '', meta, ready }), TypeError);
  t.throws(
    () => new PresencePublisher({ service: 's', meta, ready: 1 as unknown as () => boolean }),
    TypeError,
  );
  t.throws(() => new PresencePublisher({ service: 's', meta, ready, intervalMs: 0 }), TypeError);
  t.throws(() => new PresenceTracker({ ttlFactor: 0 }), TypeError);
  t.throws(() => new PresenceTracker({ url: 'redis://x' }), TypeError);
});

t.test('no options gives the documented defaults', async (t) => {
  const client = normalizeClientOptions();
  const { url: clientUrl, ...clientDefaults } = DEFAULT_CLIENT_OPTIONS;
  t.match(client, clientDefaults);
  t.same(client.urls, [clientUrl], 'the default URL, as a list of one');
  t.equal(client.poolSize, 4);
  t.equal(client.timeoutMs, 30_000);
  t.equal(client.maxInFlight, 0);
  const server = normalizeServerOptions({ queue: 'q' });
  const { url: serverUrl, ...serverDefaults } = DEFAULT_SERVER_OPTIONS;
  t.match(server, serverDefaults);
  t.same(server.urls, [serverUrl]);
  t.equal(server.prefetch, 64);
  t.equal(server.maxLength, 10_000);
  t.ok(Object.isFrozen(client) && Object.isFrozen(server), 'settings are frozen');
});

t.test('the constructor does no I/O: a client for an unreachable broker builds', async (t) => {
  const client = new RpcClient({ url: 'amqp://127.0.0.1:1', logger: null });
  t.equal(client.connected, false);
  await client.close();
});

t.test('a broker list is split and checked; passwords never reach a message', async (t) => {
  t.same(parseBrokerUrls('amqp://u:p@a:5672, amqp://u:p@b:5673 ,,amqps://c'), [
    'amqp://u:p@a:5672',
    'amqp://u:p@b:5673',
    'amqps://c',
  ]);
  t.throws(() => parseBrokerUrls('amqp://u:secret@a,ftp://u:secret@b', 'AMQP_URL'), {
    message: /AMQP_URL/,
  });
  try {
    parseBrokerUrls('ftp://u:secret@b');
  } catch (err) {
    t.notMatch((err as Error).message, /secret/, 'the password is redacted');
  }
  t.equal(redactUrl('amqp://u:secret@a:5672,amqp://b'), 'amqp://u:***@a:5672,amqp://b');
});
