// A private RabbitMQ node for `pnpm start` when no broker is configured or running: Debian's
// rabbitmq-server run as the current user, on its own ports, with its data, logs and config
// under .local/rabbitmq/ (git-ignored), so it never touches a system broker's files.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { has, ROOT } from './setup.mjs';

// The package's own scripts, not the /usr/sbin wrappers: those switch to the rabbitmq user
// (and refuse anyone else), which would need the data directory chowned and a second process
// between us and the node.
const BIN = '/usr/lib/rabbitmq/bin';
export const BROKER_DIR = join(ROOT, '.local', 'rabbitmq');

/** Whether something accepts TCP connections at host:port (2 s limit). */
export function reachable(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** `preferred` if it is free on 127.0.0.1, else one the kernel picks. */
function freePort(preferred) {
  const tryPort = (port) =>
    new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(null));
      server.listen(port, '127.0.0.1', () => {
        const got = server.address().port;
        server.close(() => resolve(got));
      });
    });
  return tryPort(preferred).then((port) => port ?? tryPort(0));
}

/**
 * Makes sure rabbitmq-server is installed: apt-get when it is missing and we may (root, a
 * Debian-like system), saying so. Throws with what to do otherwise.
 */
export function ensureRabbitMq(say) {
  if (existsSync(join(BIN, 'rabbitmq-server'))) return;
  const root = process.getuid?.() === 0;
  if (!root || !has('apt-get')) {
    throw new Error(
      [
        'no broker: AMQP_URL is unset, nothing answers on 127.0.0.1:5672, and rabbitmq-server is',
        'not installed. Install it (Debian: sudo apt-get install -y rabbitmq-server) and run this',
        'again, or point AMQP_URL at a broker you have.',
      ].join('\n  '),
    );
  }
  say('rabbitmq-server is not installed: installing it with apt-get (this takes a minute)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;
  if (!apt(['install', '-y', '--no-install-recommends', 'rabbitmq-server'])) {
    // A fresh image has no package lists yet.
    if (!apt(['update']) || !apt(['install', '-y', '--no-install-recommends', 'rabbitmq-server'])) {
      throw new Error('apt-get could not install rabbitmq-server; see its output above');
    }
  }
  if (!existsSync(join(BIN, 'rabbitmq-server'))) {
    throw new Error(`apt-get installed rabbitmq-server but ${BIN}/rabbitmq-server is missing`);
  }
}

/**
 * Prepares a private node: ports, folders, config. Returns what to spawn (the node runs in the
 * foreground, as a supervised child), its AMQP URL, and how to stop it cleanly.
 */
export async function privateBroker() {
  const amqpPort = await freePort(Number(process.env.START_BROKER_PORT || 5673));
  const distPort = await freePort(amqpPort + 1);
  const node = `mlapi-start-${amqpPort}@localhost`;
  const dirs = { data: join(BROKER_DIR, 'data'), log: join(BROKER_DIR, 'log') };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  const config = join(BROKER_DIR, 'rabbitmq.conf');
  writeFileSync(
    config,
    [
      `listeners.tcp.local = 127.0.0.1:${amqpPort}`,
      // A development node: no disk alarm on a nearly full laptop disk.
      'disk_free_limit.absolute = 50MB',
      // Its boot banner and info lines stay in the log files; warnings still reach the terminal.
      'log.console.level = warning',
      '',
    ].join('\n'),
  );
  const plugins = join(BROKER_DIR, 'enabled_plugins');
  writeFileSync(plugins, '[].\n');
  const env = {
    RABBITMQ_NODENAME: node,
    RABBITMQ_CONFIG_FILE: config,
    RABBITMQ_ENABLED_PLUGINS_FILE: plugins,
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: dirs.data,
    RABBITMQ_LOG_BASE: dirs.log,
    RABBITMQ_PID_FILE: join(BROKER_DIR, `${node}.pid`),
    // Logs go to the files above; the console would interleave Erlang boot noise with ours.
    RABBITMQ_LOGS: join(dirs.log, 'rabbit.log'),
  };
  return {
    command: join(BIN, 'rabbitmq-server'),
    env,
    port: amqpPort,
    url: `amqp://guest:guest@127.0.0.1:${amqpPort}`,
    node,
    /** Stops the node the way RabbitMQ likes (flushes, closes connections); false if it failed. */
    stop() {
      const r = spawnSync(join(BIN, 'rabbitmqctl'), ['-n', node, 'stop'], {
        env: { ...process.env, ...env },
        stdio: 'ignore',
        timeout: 15_000,
      });
      return r.status === 0;
    },
  };
}
