// rediss:// with the CA and client certificate from files (REDIS_TLS_*_FILE), against a
// redis-server of this test's own that requires client certificates, with a CA openssl makes
// here. Also the configuration errors a wrong TLS setting gives.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../src/config.js';
import { closeRedis, createRedisClient } from '../src/redis-client.js';
import { aclRedis } from './helpers/acl-redis.js';
import { testPki } from './helpers/test-ca.js';

// From the ports this work may use (36000-36099).
const TLS_PORT = 36023;

t.test('the gateway talks to Redis over TLS with a client certificate', async (t) => {
  const pki = await testPki(t);
  const password = randomBytes(24).toString('hex');
  await aclRedis(t, 0, password, [
    '--tls-port',
    String(TLS_PORT),
    '--tls-cert-file',
    pki.serverCert,
    '--tls-key-file',
    pki.serverKey,
    '--tls-ca-cert-file',
    pki.ca,
    '--tls-auth-clients',
    'yes',
  ]);
  const url = `rediss://mlapi-gateway:${password}@127.0.0.1:${TLS_PORT}`;

  /** Connects with the config `env` gives; resolves with the error, or null after a GET/SET. */
  const tryWith = async (env: Record<string, string>): Promise<unknown> => {
    const config = loadConfig({ REDIS_URL: url, ...env });
    let lastError: unknown = null;
    const client = createRedisClient(
      url,
      (err) => {
        lastError = err;
      },
      undefined,
      config.redisTls,
    );
    try {
      await Promise.race([
        client.connect(),
        new Promise((_, reject) =>
          setTimeout(() => reject(lastError ?? new Error('no connection')), 3000),
        ),
      ]);
      await client.set('mlapi:v2:pred:tls-test', 'ok', { EX: 60 });
      return (await client.get('mlapi:v2:pred:tls-test')) === 'ok' ? null : 'wrong value';
    } catch (err) {
      return err;
    } finally {
      if (client.isOpen) await closeRedis(client);
    }
  };

  t.equal(
    await tryWith({
      REDIS_TLS_CA_FILE: pki.ca,
      REDIS_TLS_CERT_FILE: pki.clientCert,
      REDIS_TLS_KEY_FILE: pki.clientKey,
    }),
    null,
    'the CA and client certificate from files: connected, SET and GET work',
  );
  t.not(
    await tryWith({ REDIS_TLS_CA_FILE: pki.ca }),
    null,
    'without a client certificate the server refuses the handshake',
  );
  t.match(
    String(
      await tryWith({
        REDIS_TLS_CA_FILE: pki.otherCa,
        REDIS_TLS_CERT_FILE: pki.clientCert,
        REDIS_TLS_KEY_FILE: pki.clientKey,
      }),
    ),
    /certificate/i,
    'a server certificate from another CA is not trusted',
  );
});

t.test('wrong TLS settings fail at start, naming the variable', async (t) => {
  const pki = await testPki(t);
  const cases: [string, Record<string, string>, string][] = [
    [
      'a missing CA file',
      { REDIS_URL: 'rediss://h:6380', REDIS_TLS_CA_FILE: '/nonexistent.pem' },
      'REDIS_TLS_CA_FILE',
    ],
    [
      'a certificate without its key',
      { REDIS_URL: 'rediss://h:6380', REDIS_TLS_CERT_FILE: pki.clientCert },
      'REDIS_TLS_CERT_FILE',
    ],
    [
      'a file that is not PEM',
      { AMQP_URL: 'amqps://h', AMQP_TLS_CA_FILE: join(pki.dir, 'ca.srl') },
      'AMQP_TLS_CA_FILE',
    ],
    [
      'TLS files with a plain redis:// URL',
      { REDIS_URL: 'redis://h:6379', REDIS_TLS_CA_FILE: pki.ca },
      'REDIS_TLS_CA_FILE',
    ],
    ['TLS files with a plain amqp:// URL', { AMQP_TLS_CA_FILE: pki.ca }, 'AMQP_TLS_CA_FILE'],
    ['TLS files and no REDIS_URL', { REDIS_TLS_CA_FILE: pki.ca }, 'REDIS_TLS_CA_FILE'],
  ];
  for (const [what, env, variable] of cases) {
    t.throws(
      () => loadConfig(env),
      { name: 'ConfigError', code: 'CONFIG_INVALID', variable },
      what,
    );
  }
  const ok = loadConfig({ AMQP_URL: 'amqps://h', AMQP_TLS_CA_FILE: pki.ca });
  t.ok(ok.amqpTls?.ca?.includes('BEGIN CERTIFICATE'), 'the CA is read');
  t.equal(ok.redisTls, null);
});
