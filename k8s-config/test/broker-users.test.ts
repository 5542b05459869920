import { JOB_CANCEL_EXCHANGE, JOB_RESULTS_QUEUE, modelQueue } from '@mlapi/contracts';
import t from 'tap';
import { brokerGrants, credentialsSecret, grants } from '../src/broker-users.js';
import { loadManifests, podSpecs } from '../src/manifests.js';
import { listModels, readRepoFile } from '../src/repo.js';

const all = loadManifests();
const byUser = new Map(brokerGrants(all).map((g) => [g.user, g]));
const models = listModels();
const PRESENCE = 'mlapi.presence';
const PROBE = 'mlapi.presence.probe';
/** @mlapi/rpc's DEAD_LETTER_EXCHANGE and DEAD_LETTER_QUEUE (rpc is not a dependency here). */
const DEAD_LETTER_EXCHANGE = 'mlapi.dead';
const DEAD_LETTER_QUEUE = 'mlapi.dead-letters';
/** A server-named queue, as the broker names the presence queues. */
const SERVER_NAMED = 'amq.gen-JzTY20BRgKO-HjmUJj0wLg';

t.test('there is one broker user per role', async (t) => {
  t.ok(models.length >= 3, `found ${models.length} models`);
  const expected = ['mlapi-gateway', 'mlapi-keda', ...models.map((m) => `mlapi-worker-${m}`)];
  t.same([...byUser.keys()].sort(), expected.sort());
  for (const grant of byUser.values()) {
    t.equal(grant.vhost, '/', `${grant.user} is granted on the vhost the pods use`);
    t.same(grant.tags, [], `${grant.user} has no tag: no management API, so no policies`);
  }
});

t.test("no pod and no autoscaler uses the operator's default user", async (t) => {
  const text = all.map((m) => JSON.stringify(m.body)).join('\n');
  t.notMatch(text, /default-user/);
  const pods = podSpecs(all);
  t.ok(pods.length >= 5, `found ${pods.length} workloads`);
});

/** The Secrets each Deployment's containers read. */
function secretsOf(name: string): string[] {
  const pod = podSpecs(all).find((p) => p.manifest.name === name);
  if (pod === undefined) return [];
  // biome-ignore lint/suspicious/noExplicitAny: pod specs are arbitrary YAML.
  return pod.spec.containers.flatMap((c: any) =>
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    (c.env ?? []).flatMap((e: any) => e.valueFrom?.secretKeyRef?.name ?? []),
  );
}

t.test("each pod reads only its own role's generated Secret", async (t) => {
  t.same(
    [...new Set(secretsOf('mlapi-api'))].sort(),
    [
      'mlapi-api-keys',
      credentialsSecret('mlapi-gateway'),
      'mlapi-redis-gateway',
      'mlapi-state-redis-gateway',
    ].sort(),
    'its broker user, its two Redis users and its API-key pepper',
  );
  const workers = podSpecs(all).filter((p) => p.manifest.name.startsWith('mlapi-worker-'));
  t.ok(workers.length > models.length, 'the canary is among the workers');
  for (const { manifest } of workers) {
    const model = manifest.body.metadata.labels['mlapi.io/model'];
    t.ok(models.includes(model), `${manifest.name} serves a model`);
    t.same(
      [...new Set(secretsOf(manifest.name))],
      [credentialsSecret(`mlapi-worker-${model}`)],
      `${manifest.name} reads its model's user`,
    );
  }
  const keda = all.find((m) => m.kind === 'TriggerAuthentication');
  t.same(
    // biome-ignore lint/suspicious/noExplicitAny: arbitrary YAML.
    [...new Set(keda?.body.spec.secretTargetRef.map((r: any) => r.name))],
    [credentialsSecret('mlapi-keda')],
  );
});

t.test(
  'the gateway may configure no named queue or exchange and read no model queue',
  async (t) => {
    const g = byUser.get('mlapi-gateway');
    if (g === undefined) throw new Error('no gateway user');
    for (const model of models) {
      const queue = modelQueue(model, '1');
      t.notOk(grants(g.configure, queue), `no configure on ${queue}`);
      t.notOk(grants(g.read, queue), `no read on ${queue}`);
    }
    for (const exchange of [PRESENCE, PROBE, 'amq.default', 'amq.topic']) {
      t.notOk(grants(g.configure, exchange), `no configure on ${exchange}`);
    }
    t.ok(grants(g.configure, SERVER_NAMED), 'its own presence queue');
    t.ok(grants(g.write, 'amq.default'), 'publishes requests through the default exchange');
    t.ok(grants(g.write, PROBE), 'probes');
    t.notOk(grants(g.write, PRESENCE), 'cannot announce as a worker');
    t.ok(grants(g.read, PRESENCE), 'hears announcements');
    t.notOk(grants(g.read, PROBE), 'does not listen to probes');
  },
);

t.test("each worker reaches only its own model's queues", async (t) => {
  for (const model of models) {
    const w = byUser.get(`mlapi-worker-${model}`);
    if (w === undefined) throw new Error(`no user for ${model}`);
    for (const version of ['1', '2', '2024.01-rc_1']) {
      const queue = modelQueue(model, version);
      t.ok(grants(w.configure, queue), `${model} configures ${queue}`);
      t.ok(grants(w.read, queue), `${model} consumes ${queue}`);
      t.notOk(grants(w.write, queue), `${model} has no write on ${queue} (beyond amq.default)`);
    }
    for (const other of [...models.filter((m) => m !== model), `${model}-2`, `${model}x`]) {
      const queue = modelQueue(other, '1');
      t.notOk(grants(w.configure, queue), `${model} cannot configure ${queue}`);
      t.notOk(grants(w.read, queue), `${model} cannot consume ${queue}`);
    }
    t.notOk(grants(w.configure, `mlapi.${model}`), 'a queue name without a version is not its');
    for (const exchange of [PRESENCE, PROBE, 'amq.default']) {
      t.notOk(grants(w.configure, exchange), `${model} cannot configure ${exchange}`);
    }
    t.ok(grants(w.write, PRESENCE), 'announces');
    t.ok(grants(w.write, 'amq.default'), 'replies');
    t.notOk(grants(w.write, PROBE), 'does not probe');
    t.ok(grants(w.read, PROBE), 'hears probes');
  }
});

t.test('KEDA may only look: access to the vhost, no rights', async (t) => {
  const k = byUser.get('mlapi-keda');
  t.same([k?.configure, k?.write, k?.read], ['', '', '']);
});

t.test('every permission pattern is anchored and explained by a comment', async (t) => {
  const files = [...new Set(all.filter((m) => m.kind === 'Permission').map((m) => m.file))];
  t.equal(files.length, models.length + 1, 'the shared file and one per model');
  let checked = 0;
  for (const file of files) {
    const lines = readRepoFile(file).split('\n');
    lines.forEach((line, i) => {
      const field = /^\s+(configure|write|read):\s*(.*)$/.exec(line);
      if (field === null) return;
      checked++;
      const pattern = field[2] ?? '';
      t.match(lines[i - 1] ?? '', /^\s+#/, `${file}:${i + 1} ${field[1]} has a comment`);
      if (pattern !== '""') t.match(pattern, /^\^.*\$$/, `${file}:${i + 1} is anchored`);
    });
  }
  t.equal(checked, byUser.size * 3, 'three patterns per Permission');
});

t.test('the shared exchanges and queues are declared by the operator, not by a role', async (t) => {
  const exchanges = all.filter((m) => m.kind === 'Exchange').map((m) => m.body.spec);
  t.same(
    exchanges.map((e) => e.name).sort(),
    [DEAD_LETTER_EXCHANGE, JOB_CANCEL_EXCHANGE, PRESENCE, PROBE].sort(),
  );
  const queues = all.filter((m) => m.kind === 'Queue').map((m) => m.body.spec);
  t.same(queues.map((q) => q.name).sort(), [DEAD_LETTER_QUEUE, JOB_RESULTS_QUEUE].sort());
  const bindings = all.filter((m) => m.kind === 'Binding').map((m) => m.body.spec);
  t.same(
    bindings.map((b) => [b.source, b.destination]),
    [[DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE]],
  );
  const g = byUser.get('mlapi-gateway');
  if (g === undefined) throw new Error('no gateway user');
  for (const name of [
    DEAD_LETTER_EXCHANGE,
    DEAD_LETTER_QUEUE,
    JOB_CANCEL_EXCHANGE,
    JOB_RESULTS_QUEUE,
  ]) {
    t.notOk(grants(g.configure, name), `the gateway may not configure ${name}`);
  }
  t.ok(grants(g.read, JOB_RESULTS_QUEUE), 'the gateway consumes job results');
  t.ok(grants(g.read, DEAD_LETTER_QUEUE), 'the gateway answers dead letters');
  t.ok(grants(g.write, JOB_CANCEL_EXCHANGE), 'the gateway broadcasts cancellations');
  for (const e of exchanges) {
    t.match(e, { type: 'fanout', durable: true, autoDelete: false, vhost: '/' });
  }
});
