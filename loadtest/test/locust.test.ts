// loadtest/locust/locustfile.py run headless by Debian's locust against the real local stack
// (`pnpm start`'s own script: the gateway and one worker per shipped model), as the original
// system's users run theirs. It must finish with requests for all three aliases and 0 failures.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOCUSTFILE = join(ROOT, 'loadtest', 'locust', 'locustfile.py');
const ALIASES = ['fast-iris-model', 'intermediate-iris-model', 'slow-iris-model'];
const READY_TIMEOUT_MS = 150_000;

// Stack start-up on a busy machine, then the 15 s run.
t.setTimeout(300_000);

async function portFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The first run of `count` free ports in a block kept clear of the usual service ports. */
async function freePorts(count: number): Promise<number> {
  for (let base = 37_000; base + count <= 37_100; base++) {
    let free = true;
    for (let p = base; p < base + count && free; p++) free = await portFree(p);
    if (free) return base;
  }
  throw new Error('no run of free ports in 37000-37099');
}

/** Resolves when `child` prints a line matching `pattern`; rejects if it exits or times out. */
function waitForLine(child: ChildProcess, pattern: RegExp, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the stack was not ready in ${READY_TIMEOUT_MS} ms:\n${output()}`));
    }, READY_TIMEOUT_MS);
    const onData = () => {
      if (pattern.test(output())) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the stack exited (${code}) before it was ready:\n${output()}`));
    });
  });
}

/** Parses locust's `_stats.csv` (no quoted commas in its names here) into rows by name. */
function statsByName(csv: string): Map<string, Record<string, string>> {
  const [header, ...lines] = csv.trim().split('\n');
  const columns = (header ?? '').split(',');
  const rows = new Map<string, Record<string, string>>();
  for (const line of lines) {
    const cells = line.split(',');
    const row = Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? '']));
    rows.set(row.Name ?? '', row);
  }
  return rows;
}

t.test('the locustfile ends with 0 failures against the real local stack', async (t) => {
  try {
    await run('locust', ['--help']);
  } catch {
    t.fail('locust is not installed: apt-get install -y python3-locust (.ci/run installs it)');
    return;
  }

  // The shipped models under their real names, on a RabbitMQ vhost of the test's own, so no
  // other stack's workers answer (or claim the aliases).
  const vhost = `mlapi-locust-${process.pid}-${randomBytes(3).toString('hex')}`;
  await run('rabbitmqctl', ['add_vhost', vhost]);
  t.teardown(async () => {
    await run('rabbitmqctl', ['delete_vhost', vhost]);
  });
  await run('rabbitmqctl', ['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);

  const port = await freePorts(4);
  const host = `http://127.0.0.1:${port}`;
  const stack = spawn(process.execPath, [join(ROOT, 'scripts', 'start.mjs')], {
    cwd: ROOT,
    env: {
      ...process.env,
      AMQP_URL: `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(vhost)}`,
      PORT: String(port),
      WORKER_FIRST_PORT: String(port + 1),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  stack.stdout.on('data', keep);
  stack.stderr.on('data', keep);
  const exited = once(stack, 'exit');
  t.teardown(async () => {
    // start.mjs stops its children on SIGTERM (they live in process groups of their own).
    if (stack.exitCode === null && stack.signalCode === null) {
      stack.kill('SIGTERM');
      await exited;
    }
  });
  await waitForLine(stack, /ready: http/, () => output);

  // The user classes and their weights, as locust itself reads them.
  const ratios = JSON.parse(
    (await run('locust', ['-f', LOCUSTFILE, '--show-task-ratio-json'], { cwd: ROOT })).stdout,
  ).per_class as Record<string, { ratio: number }>;
  t.same(
    Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, Math.round(v.ratio * 6)])),
    { FastModelUser: 3, IntermediateModelUser: 2, SlowModelUser: 1 },
    'user classes weighted fast 3 : intermediate 2 : slow 1',
  );

  const dir = await mkdtemp(join(tmpdir(), 'mlapi-locust-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const prefix = join(dir, 'run');
  const locust = spawn(
    'locust',
    [
      '-f',
      LOCUSTFILE,
      '--headless',
      '-u',
      '20',
      '-r',
      '10',
      '-t',
      '15s',
      '--host',
      host,
      '--csv',
      prefix,
      '--only-summary',
      '--loglevel',
      'WARNING',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let locustOutput = '';
  for (const stream of [locust.stdout, locust.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      locustOutput = (locustOutput + chunk.toString()).slice(-20_000);
    });
  }
  const [code] = await once(locust, 'exit');
  // locust exits 1 on any failure; its summary says which.
  t.equal(
    code,
    0,
    code === 0 ? 'locust exits 0' : `locust exits ${code}\n${locustOutput.slice(-3000)}`,
  );

  const stats = statsByName(await readFile(`${prefix}_stats.csv`, 'utf8'));
  const total = stats.get('Aggregated');
  t.ok(total !== undefined, 'the stats have an Aggregated row');
  t.ok(Number(total?.['Request Count']) > 0, `${total?.['Request Count']} requests sent`);
  t.equal(Number(total?.['Failure Count']), 0, '0 failures');
  for (const alias of ALIASES) {
    const row = stats.get(`/predict ${alias}`);
    t.ok(Number(row?.['Request Count']) > 0, `${row?.['Request Count']} requests for ${alias}`);
  }
  t.equal(
    (await readFile(`${prefix}_failures.csv`, 'utf8')).trim().split('\n').length,
    1,
    'the failures file holds its header only',
  );
});
