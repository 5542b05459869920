#!/usr/bin/env node
// Private RabbitMQ nodes from Debian's rabbitmq-server, each with its own AMQP port, Erlang
// distribution port, config file, data and log folders, and pid file: a cluster on one machine
// for tests and benchmarks, beside (never touching) the broker on 5672.
//
//   node scripts/rabbitmq-node.mjs up [--base 32000] [--nodes 3] [--dir /tmp/mlapi-rabbit]
//   node scripts/rabbitmq-node.mjs down [--base 32000] [--nodes 3] [--dir /tmp/mlapi-rabbit]
//
// Node i (1-based) is ha<i>@localhost, AMQP on base+i, distribution on base+10+i.
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The facts of node `index` (1-based) of a cluster whose ports start at `base`. */
export function nodeSpec(index, { base = 32000, dir = '/tmp/mlapi-rabbit' } = {}) {
  const name = `ha${index}@localhost`;
  const home = join(dir, `ha${index}`);
  return {
    index,
    name,
    home,
    amqpPort: base + index,
    distPort: base + 10 + index,
    url: `amqp://guest:guest@127.0.0.1:${base + index}`,
  };
}

function envOf(node) {
  return {
    ...process.env,
    RABBITMQ_NODENAME: node.name,
    RABBITMQ_DIST_PORT: String(node.distPort),
    RABBITMQ_CONFIG_FILE: join(node.home, 'rabbitmq.conf'),
    RABBITMQ_MNESIA_BASE: join(node.home, 'mnesia'),
    RABBITMQ_LOG_BASE: join(node.home, 'log'),
    RABBITMQ_PID_FILE: join(node.home, 'pid'),
    // No plugins: a bare node starts faster, and no management port to clash with.
    RABBITMQ_ENABLED_PLUGINS_FILE: join(node.home, 'enabled_plugins'),
  };
}

async function ctl(node, ...args) {
  return run('rabbitmqctl', ['-n', node.name, ...args], { env: envOf(node), timeout: 120_000 });
}

/** Starts a node (its folders made on first start) and waits until it runs. */
export async function startNode(node) {
  const fresh = !existsSync(join(node.home, 'rabbitmq.conf'));
  if (fresh) {
    for (const sub of ['', 'mnesia', 'log']) mkdirSync(join(node.home, sub), { recursive: true });
    writeFileSync(
      join(node.home, 'rabbitmq.conf'),
      [
        `listeners.tcp.local = 127.0.0.1:${node.amqpPort}`,
        'loopback_users = none',
        // The shared disk may be nearly full: a private node must still accept publishes.
        'disk_free_limit.absolute = 1MB',
        '',
      ].join('\n'),
    );
    writeFileSync(join(node.home, 'enabled_plugins'), '[].\n');
    const { stdout } = await run('id', ['-u', 'rabbitmq']);
    const { stdout: gid } = await run('id', ['-g', 'rabbitmq']);
    for (const p of ['', 'mnesia', 'log', 'rabbitmq.conf', 'enabled_plugins']) {
      chownSync(join(node.home, p), Number(stdout), Number(gid));
    }
  }
  await run('rabbitmq-server', ['-detached'], { env: envOf(node), timeout: 60_000 });
  // await_startup fails at once while the detached VM has not registered with epmd yet.
  const until = Date.now() + 120_000;
  for (;;) {
    try {
      await ctl(node, 'await_startup', '--timeout', '120');
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** Stops a node's Erlang VM (its data stays, so startNode brings it back as it was). */
export async function stopNode(node) {
  await ctl(node, 'stop').catch(() => undefined);
}

/** Starts `count` nodes and joins nodes 2..count to node 1. */
export async function startCluster({ base = 32000, count = 3, dir = '/tmp/mlapi-rabbit' } = {}) {
  const nodes = Array.from({ length: count }, (_, i) => nodeSpec(i + 1, { base, dir }));
  await Promise.all(nodes.map((node) => startNode(node)));
  for (const node of nodes.slice(1)) {
    const { stdout } = await ctl(node, 'cluster_status', '--formatter', 'json');
    if (JSON.parse(stdout).running_nodes?.includes(nodes[0].name)) continue;
    await ctl(node, 'stop_app');
    await ctl(node, 'join_cluster', nodes[0].name);
    await ctl(node, 'start_app');
  }
  return nodes;
}

/** Stops every node and deletes their folders. */
export async function stopCluster(nodes) {
  await Promise.all(nodes.map((node) => stopNode(node)));
  for (const node of nodes) rmSync(node.home, { recursive: true, force: true });
}

/** The node that leads a quorum queue now, by name (ha<i>@localhost). */
export async function queueLeader(node, queue) {
  const { stdout } = await ctl(
    node,
    'list_queues',
    'name',
    'leader',
    '--quiet',
    '--no-table-headers',
  );
  for (const line of stdout.split('\n')) {
    const [name, leader] = line.trim().split(/\s+/);
    if (name === queue) return leader;
  }
  return null;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const flag = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i === -1 ? fallback : args[i + 1];
  };
  const base = Number(flag('base', 32000));
  const count = Number(flag('nodes', 3));
  const dir = flag('dir', '/tmp/mlapi-rabbit');
  if (args[0] === 'up') {
    const nodes = await startCluster({ base, count, dir });
    process.stdout.write(`${nodes.map((n) => n.url).join(',')}\n`);
  } else if (args[0] === 'down') {
    await stopCluster(Array.from({ length: count }, (_, i) => nodeSpec(i + 1, { base, dir })));
  } else {
    process.stderr.write('usage: rabbitmq-node.mjs up|down [--base N] [--nodes N] [--dir D]\n');
    process.exit(2);
  }
}
