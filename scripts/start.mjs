#!/usr/bin/env node
// `pnpm start` / `npm start`: the whole local stack in one command. Plain Node ESM with no
// dependencies, so it runs on a fresh clone before anything is installed or built.
//   1. pnpm present (installed with npm if not), dependencies installed, packages built;
//   2. the broker: AMQP_URL when set (it must answer); else one on 127.0.0.1:5672; else a private
//      RabbitMQ node (local-broker.mjs, installed with apt-get when missing and root), one more
//      supervised child, stopped last;
//   3. the gateway and one worker per models/*/model.json run as supervised children, with
//      prefixed, coloured logs, restarted with backoff if they crash;
//   4. once the gateway is ready: the URL and a sample curl. Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ensureRabbitMq, privateBroker, reachable } from './local-broker.mjs';
import { ensureSetup, ROOT } from './setup.mjs';

const AMQP_URL_SET = Boolean(process.env.AMQP_URL);
let AMQP_URL = process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';
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
/** The private node, when this script runs one (never when AMQP_URL is set). */
let ownBroker = null;
if (await reachable(brokerHost, brokerPort)) {
  say(`RabbitMQ answers at ${brokerHost}:${brokerPort}`);
} else if (AMQP_URL_SET) {
  fail(
    [
      `no RabbitMQ answers at ${brokerHost}:${brokerPort} (AMQP_URL).`,
      '  Start it, then run this again; or unset AMQP_URL and pnpm start runs a broker of its own.',
    ].join('\n'),
  );
} else {
  try {
    ensureRabbitMq(say);
    ownBroker = await privateBroker();
  } catch (err) {
    fail(err.message);
  }
  AMQP_URL = ownBroker.url;
  say(
    `nothing answers on 127.0.0.1:5672: starting a private RabbitMQ node on port ${ownBroker.port}`,
  );
  say(`  (data and logs in .local/rabbitmq/; stopped with everything else on Ctrl-C)`);
}
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

/** A Node script as a supervised child. */
function supervise(name, script, env, index) {
  return superviseCommand(name, process.execPath, [script], env, index);
}

function superviseCommand(name, command, args, env, index) {
  const prefix = paint(PALETTE[index % PALETTE.length], `[${name}]`.padEnd(16));
  const child = { name, process: null, delay: 500, timer: null };
  const start = () => {
    const startedAt = Date.now();
    const proc = spawn(command, args, {
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
  return child;
}

// The broker first, and wait until it takes connections: the others need it.
let brokerChild = null;
if (ownBroker !== null) {
  brokerChild = superviseCommand('rabbitmq', ownBroker.command, [], ownBroker.env, 4);
  // Its own list: stopped after the gateway and workers, which drain through it.
  children.pop();
  const by = Date.now() + 120_000;
  while (!(await reachable('127.0.0.1', ownBroker.port))) {
    if (Date.now() > by)
      fail('the private RabbitMQ node did not start in 2 minutes: see .local/rabbitmq/log/');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  say(`RabbitMQ node ${ownBroker.node} answers at ${ownBroker.url}`);
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
  if (brokerChild !== null) await stopBroker();
  say('stopped');
  process.exit(0);
}
/** rabbitmqctl stop (a clean stop), then SIGKILL to its process group if it lingers. */
async function stopBroker() {
  clearTimeout(brokerChild.timer);
  const proc = brokerChild.process;
  if (proc === null || proc.exitCode !== null) return;
  say('stopping the private RabbitMQ node');
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  if (!ownBroker.stop()) proc.kill('SIGTERM');
  const kill = setTimeout(() => killGroup(proc, 'SIGKILL'), GRACE_MS);
  await exited;
  clearTimeout(kill);
  // Erlang may leave epmd or a helper behind in the group; nothing of it should outlive us.
  killGroup(proc, 'SIGKILL');
}
function killGroup(proc, signal) {
  try {
    process.kill(-proc.pid, signal);
  } catch {
    // already gone
  }
}
// Children live in their own process groups, so nothing else would stop them if this script died.
process.on('exit', () => {
  for (const c of children) if (c.process?.exitCode === null) c.process.kill('SIGTERM');
  if (brokerChild?.process) killGroup(brokerChild.process, 'SIGTERM');
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
