#!/usr/bin/env node
// `pnpm start` / `npm start`: the whole local stack in one command. Plain Node ESM with no
// dependencies, so it runs on a fresh clone before anything is installed or built.
//   1. pnpm present (installed with npm if not), dependencies installed, packages built;
//   2. the broker answers (else: how to start one);
//   3. the gateway and one worker per models/*/model.json run as supervised children, with
//      prefixed, coloured logs, restarted with backoff if they crash;
//   4. once the gateway is ready: the URL and a sample curl. Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { ensureSetup, has, ROOT } from './setup.mjs';

const AMQP_URL = process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';
const PORT = Number(process.env.PORT || 8080);
// A local stack is for this machine: loopback unless HOST says otherwise. (The gateway's own
// default, 0.0.0.0, is for containers, where the pod network must reach it.)
const HOST = process.env.HOST || '127.0.0.1';
const FIRST_WORKER_PORT = Number(process.env.WORKER_FIRST_PORT || 9101);
const GRACE_MS = 10_000;
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
const say = (text) => process.stdout.write(`${paint('1;36', '[start]')} ${text}\n`);
const fail = (text) => {
  process.stderr.write(`${paint('1;31', '[start]')} ${text}\n`);
  process.exit(1);
};

// 1. Toolchain, dependencies, build: whatever is missing or stale.
try {
  ensureSetup({
    say,
    packages: [
      'packages/contracts',
      'packages/rpc',
      'packages/worker',
      'packages/console',
      'packages/api',
    ],
  });
} catch (err) {
  fail(err.message);
}
const modelsDir = join(ROOT, 'models');
const models = readdirSync(modelsDir, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(modelsDir, e.name, 'model.json')))
  .map((e) => e.name)
  .sort(
    (a, b) =>
      ['fast', 'intermediate', 'slow'].indexOf(a) - ['fast', 'intermediate', 'slow'].indexOf(b),
  );
if (models.length === 0) fail('no models/*/model.json found');

// 2. The broker, before anything that needs it.
function reachable(host, port) {
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
function portFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}
const broker = new URL(AMQP_URL);
const brokerHost = broker.hostname || '127.0.0.1';
const brokerPort = Number(broker.port || (broker.protocol === 'amqps:' ? 5671 : 5672));
if (!(await reachable(brokerHost, brokerPort))) {
  fail(
    [
      `no RabbitMQ answers at ${brokerHost}:${brokerPort} (AMQP_URL).`,
      '  Start one, then run this again:',
      has('rabbitmq-server')
        ? '    sudo rabbitmq-server -detached'
        : '    sudo apt-get install -y rabbitmq-server && sudo rabbitmq-server -detached',
      '  or with Docker: docker run -d --name rabbitmq -p 5672:5672 rabbitmq:3',
      '  or point AMQP_URL at a broker you have.',
    ].join('\n'),
  );
}
say(`RabbitMQ answers at ${brokerHost}:${brokerPort}`);
if (!(await portFree(PORT))) {
  fail(`port ${PORT} is in use: stop what holds it, or choose another with PORT=<port> pnpm start`);
}

// 3. Supervised children.
const PALETTE = ['1;32', '1;33', '1;35', '1;34', '1;36'];
const LEVELS = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const children = [];
let stopping = false;

/** One pino JSON line made readable: level, message, and the few fields worth a glance. */
function pretty(line) {
  let entry;
  try {
    entry = JSON.parse(line);
  } catch {
    return line;
  }
  const { level, time, pid, hostname, msg, ...rest } = entry;
  const name = LEVELS[level] ?? String(level);
  const tag = level >= 50 ? paint('31', name) : level >= 40 ? paint('33', name) : name;
  const extra = Object.keys(rest).length > 0 ? ` ${paint('2', JSON.stringify(rest))}` : '';
  return `${tag} ${msg ?? ''}${extra}`;
}

function supervise(name, script, env, index) {
  const prefix = paint(PALETTE[index % PALETTE.length], `[${name}]`.padEnd(16));
  const child = { name, process: null, delay: 500, timer: null };
  const start = () => {
    const startedAt = Date.now();
    const proc = spawn(process.execPath, [script], {
      cwd: ROOT,
      env: { ...process.env, AMQP_URL, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own: a terminal's Ctrl-C reaches only this supervisor, which then
      // sends each child exactly one SIGTERM. (A worker takes a second signal as "exit now".)
      detached: true,
    });
    child.process = proc;
    for (const stream of [proc.stdout, proc.stderr]) {
      let partial = '';
      stream.on('data', (chunk) => {
        partial += chunk.toString();
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line) process.stdout.write(`${prefix} ${pretty(line)}\n`);
      });
    }
    proc.on('exit', (code, signal) => {
      child.process = null;
      if (stopping) return;
      // A child that ran a while before dying starts again quickly; a crash loop backs off.
      if (Date.now() - startedAt > 30_000) child.delay = 500;
      say(`${name} exited (${signal ?? code}); restarting in ${child.delay} ms`);
      child.timer = setTimeout(start, child.delay);
      child.delay = Math.min(child.delay * 2, 10_000);
    });
  };
  start();
  children.push(child);
}

supervise('api', join(ROOT, 'packages', 'api', 'dist', 'main.js'), { PORT: String(PORT), HOST }, 0);
models.forEach((model, i) => {
  supervise(
    model,
    join(ROOT, 'packages', 'worker', 'dist', 'main.js'),
    { MODEL_DIR: join(modelsDir, model), PORT: String(FIRST_WORKER_PORT + i), HOST: '127.0.0.1' },
    i + 1,
  );
});
say(`started the gateway on ${HOST}:${PORT} and ${models.length} workers (${models.join(', ')})`);

// Ctrl-C / SIGTERM: SIGTERM every child, SIGKILL what is left after the grace period.
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  say(`${signal}: stopping ${children.length} processes (SIGKILL after ${GRACE_MS / 1000} s)`);
  const exits = children.map((c) => {
    clearTimeout(c.timer);
    const proc = c.process;
    if (proc === null || proc.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => {
        say(`${c.name} did not stop in time; killing it`);
        proc.kill('SIGKILL');
      }, GRACE_MS);
      proc.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      proc.kill('SIGTERM');
    });
  });
  await Promise.all(exits);
  say('stopped');
  process.exit(0);
}
// Children live in their own process groups, so nothing else would stop them if this script died.
process.on('exit', () => {
  for (const c of children) if (c.process?.exitCode === null) c.process.kill('SIGTERM');
});
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

// 4. Ready: the gateway answers and has heard from every model's worker.
const probeHost = HOST === '0.0.0.0' || HOST === '::' ? '127.0.0.1' : HOST;
const base = `http://${probeHost.includes(':') ? `[${probeHost}]` : probeHost}:${PORT}`;
const readyBy = Date.now() + 120_000;
for (;;) {
  if (stopping) break;
  try {
    const ready = await fetch(`${base}/health/ready`, { signal: AbortSignal.timeout(2000) });
    const listed = ready.status === 200 ? await (await fetch(`${base}/v1/models`)).json() : null;
    if (listed && models.every((m) => listed.models.includes(m))) {
      const live = await Promise.all(
        models.map(async (m) => (await fetch(`${base}/v2/models/${m}/ready`)).status === 200),
      );
      if (live.every(Boolean)) break;
    }
  } catch {
    // not listening yet
  }
  if (Date.now() > readyBy) {
    say('the stack is not ready after 2 minutes; see the logs above (still running, Ctrl-C stops)');
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}
if (!stopping && Date.now() <= readyBy) {
  let row = [5.1, 3.5, 1.4, 0.2];
  try {
    row = JSON.parse(readFileSync(join(modelsDir, 'reference.json'), 'utf8'))[models[0]].inputs[0];
  } catch {
    // the sample row above will do
  }
  say(paint('1;32', `ready: ${base}  (models: ${models.join(', ')})`));
  say(
    `try:\n  curl -s ${base}/predict -H 'content-type: application/json' \\\n    -d '{"model_name": "${models[0]}", "input_data": [${JSON.stringify(row)}]}'`,
  );
  say(`console: ${base}/console/   API docs: ${base}/docs   metrics: ${base}/metrics`);
  say('Ctrl-C stops everything');
}
