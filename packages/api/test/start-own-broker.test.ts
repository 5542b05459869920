import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { PACKAGE_DIR, ROOT } from './helpers/stack.js';

// Needs root (a network namespace) and Debian's rabbitmq-server; elsewhere there is nothing to
// run it in, and it says so.
const FIXTURE = join(PACKAGE_DIR, 'test', 'fixtures', 'start-in-netns.mjs');
const canRun =
  process.getuid?.() === 0 &&
  spawnSync('unshare', ['--version']).status === 0 &&
  existsSync('/usr/lib/rabbitmq/bin/rabbitmq-server');

function inNetns(mode: 'own' | 'url') {
  const run = spawnSync('unshare', ['-n', process.execPath, FIXTURE, ROOT, mode], {
    encoding: 'utf8',
    timeout: 240_000,
  });
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`no result from the namespace: ${run.stdout}\n${run.stderr}`);
  }
}

t.test(
  'pnpm start brings its own broker where none is visible, and stops it on Ctrl-C',
  { skip: canRun ? false : 'needs root, unshare and rabbitmq-server' },
  async (t) => {
    const r = inNetns('own');
    t.equal(r.brokerOn5672, false, 'no broker on 5672 in the namespace');
    t.ok(r.startedNode, 'it said it starts a private node');
    if (!r.ready) t.comment(r.output);
    t.ok(r.ready, 'the stack became ready');
    t.ok(r.brokerListening, 'the private node listened on its own port');
    t.equal(r.predictStatus, 200, 'a prediction went through it');
    t.same(r.labels, ['setosa']);
    t.equal(r.exitCode, 0, 'Ctrl-C stopped everything cleanly');
    t.equal(r.brokerListeningAfter, false, 'the node stopped with the rest');
  },
);

t.test(
  'with AMQP_URL set it uses that broker and never starts one',
  { skip: canRun ? false : 'needs root, unshare and rabbitmq-server' },
  async (t) => {
    const r = inNetns('url');
    t.equal(r.exitCode, 1, 'no broker at AMQP_URL: it stops');
    t.notOk(r.startedNode, 'it did not start a node');
    t.match(r.output, /AMQP_URL/, 'and says which setting pointed where');
  },
);
