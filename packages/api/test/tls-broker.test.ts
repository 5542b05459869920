// amqps:// end to end: the real gateway and a real worker talk to a RabbitMQ node of this test's
// own that accepts only TLS clients with a certificate from a CA openssl makes here; the CA and
// the client certificate come from AMQP_TLS_*_FILE, as in a deployment.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import t from 'tap';
import { ROOT, reference, spawnWorker, startGateway, waitFor, waitLive } from './helpers/stack.js';
import { testPki } from './helpers/test-ca.js';

const run = promisify(execFile);
// The node name and ports this work may use (36000-36099).
const NODE = 'lp1@localhost';
const DIST_PORT = 36011;
const TCP_PORT = 36010;
const TLS_PORT = 36012;

/** Uid/gid of the rabbitmq user, which the broker runs as and which must own its folders. */
async function rabbitmqIds(): Promise<{ uid: number; gid: number }> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
    run('id', ['-u', 'rabbitmq']),
    run('id', ['-g', 'rabbitmq']),
  ]);
  return { uid: Number(uid), gid: Number(gid) };
}

t.test('the gateway and a worker work over amqps with client certificates', async (t) => {
  const pki = await testPki(t);
  // Its own folder, removed only once the node has stopped.
  const base = await mkdtemp(join(tmpdir(), 'mlapi-rmq-'));
  await mkdir(join(base, 'mnesia'), { recursive: true });
  await mkdir(join(base, 'log'), { recursive: true });
  const config = join(base, 'rabbitmq.conf');
  await writeFile(
    config,
    [
      `listeners.tcp.local = 127.0.0.1:${TCP_PORT}`,
      `listeners.ssl.local = 127.0.0.1:${TLS_PORT}`,
      `ssl_options.cacertfile = ${pki.ca}`,
      `ssl_options.certfile = ${pki.serverCert}`,
      `ssl_options.keyfile = ${pki.serverKey}`,
      // Mutual TLS: a client without a certificate from the CA is refused in the handshake.
      'ssl_options.verify = verify_peer',
      'ssl_options.fail_if_no_peer_cert = true',
      '',
    ].join('\n'),
  );
  // No plugins: the shared broker's management and Prometheus ports must stay its own.
  await writeFile(join(base, 'enabled_plugins'), '[].\n');
  const { uid, gid } = await rabbitmqIds();
  for (const path of [pki.dir, base, join(base, 'mnesia'), join(base, 'log')]) {
    await chown(path, uid, gid);
    await chmod(path, 0o755);
  }
  for (const f of [pki.serverKey, pki.serverCert, pki.ca]) await chown(f, uid, gid);

  const server = spawn('rabbitmq-server', [], {
    env: {
      ...process.env,
      RABBITMQ_CONFIG_FILE: config,
      RABBITMQ_NODENAME: NODE,
      RABBITMQ_DIST_PORT: String(DIST_PORT),
      RABBITMQ_MNESIA_BASE: join(base, 'mnesia'),
      RABBITMQ_LOG_BASE: join(base, 'log'),
      RABBITMQ_PID_FILE: join(base, 'pid'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(base, 'enabled_plugins'),
    },
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => server.once('exit', resolve));
  t.teardown(async () => {
    await run('rabbitmqctl', ['-n', NODE, 'stop']).catch(() => server.kill('SIGKILL'));
    await exited;
    await rm(base, { recursive: true, force: true });
  });
  // await_startup fails at once while the node's distribution port is not yet open: retry it
  // until it answers (or the server exits).
  await waitFor(
    `${NODE} to start`,
    async () => {
      if (server.exitCode !== null) throw new Error(`rabbitmq-server exited ${server.exitCode}`);
      return run('rabbitmqctl', ['-n', NODE, 'await_startup', '--timeout', '60']).then(
        () => true,
        () => false,
      );
    },
    120_000,
  );

  const url = `amqps://guest:guest@localhost:${TLS_PORT}`;
  const tlsEnv = {
    AMQP_URL: url,
    AMQP_TLS_CA_FILE: pki.ca,
    AMQP_TLS_CERT_FILE: pki.clientCert,
    AMQP_TLS_KEY_FILE: pki.clientKey,
  };
  const worker = spawnWorker(t, join(ROOT, 'models', 'fast'), tlsEnv);
  const gateway = await startGateway(t, tlsEnv);
  await waitLive(gateway, 'fast').catch((err: unknown) => {
    t.comment(worker.output());
    throw err;
  });
  const expected = (await reference()).fast;
  const res = await gateway.app.inject({
    method: 'POST',
    url: '/predict',
    payload: { model_name: 'fast', input_data: expected.inputs },
  });
  t.equal(res.statusCode, 200, 'a prediction over amqps');
  t.same(res.json().predictions, expected.predictions);

  const attempt = (options: object) =>
    connect(url, { noDelay: true, ...options }).then(
      async (c) => {
        await c.close();
        return 'connected';
      },
      (err: Error) => err.message,
    );
  t.match(
    await attempt({ ca: [readFileSync(pki.ca)] }),
    /certificate required|alert/i,
    'without a client certificate the broker refuses the handshake',
  );
  t.match(await attempt({}), /certificate/i, 'without the CA the broker is not trusted');
});
