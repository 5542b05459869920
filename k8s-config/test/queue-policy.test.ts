import { pathToFileURL } from 'node:url';
import { JOB_RESULTS_QUEUE, jobQueue, modelQueue } from '@mlapi/contracts';
import t from 'tap';
import { find, loadManifests, type Manifest } from '../src/manifests.js';
import { readRepoFile, repoPath } from '../src/repo.js';

// The broker policy that bounds the model queues (k8s-config/rabbitmq/model-queue-policy.yaml)
// must hold the bounds a worker writes as arguments when it makes a queue, and reach exactly the
// interactive model queues: a job queue or a shared queue under it would start rejecting
// publishes at a bound meant for something else.

/** A built package's module, as bind-address.test.ts loads them (neither is a dependency here). */
async function built<T>(pkg: 'rpc' | 'worker', file: string): Promise<T> {
  return (await import(pathToFileURL(repoPath('packages', pkg, 'dist', file)).href)) as T;
}
const { DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE } = await built<{
  DEAD_LETTER_EXCHANGE: string;
  DEAD_LETTER_QUEUE: string;
}>('rpc', 'index.js');
const { parseConfig } = await built<{
  parseConfig: (env: Record<string, string>) => {
    queueMaxLength: number;
    queueDeliveryLimit: number;
  };
}>('worker', 'config.js');

const all = loadManifests();
const policy = find(all, 'Policy', 'mlapi-model-queues');
const spec = policy?.body.spec;
const pattern = new RegExp(spec?.pattern ?? '(?!)');
const workers = all.filter((m) => m.kind === 'Deployment' && m.name.startsWith('mlapi-worker-'));

/** The (model, version) a worker Deployment serves, from its pod labels. */
function servedBy(m: Manifest): { model: string; version: string } {
  const labels = m.body.spec.template.metadata.labels;
  return { model: labels['mlapi.io/model'], version: labels['mlapi.io/version'] };
}

/** The plain env values of a worker Deployment's container. */
function envOf(m: Manifest): Record<string, string> {
  const env: { name: string; value?: string }[] = m.body.spec.template.spec.containers[0].env ?? [];
  return Object.fromEntries(env.flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])));
}

t.test('one Policy bounds the model queues, applied to queues by the cluster', async (t) => {
  t.ok(policy, 'Policy mlapi-model-queues exists');
  t.equal(policy?.file, 'k8s-config/rabbitmq/model-queue-policy.yaml');
  t.equal(all.filter((m) => m.kind === 'Policy').length, 1, 'the only Policy');
  t.equal(spec?.applyTo, 'queues');
  t.equal(spec?.vhost, '/');
  t.same(spec?.rabbitmqClusterReference, {
    name: find(all, 'RabbitmqCluster', 'mlapi-rabbitmq')?.name,
  });
});

t.test("the pattern matches every deployed worker's queue and other model queues", async (t) => {
  t.ok(workers.length >= 4, `${workers.length} worker Deployments, the canary among them`);
  const names = [
    ...workers.map((m) => {
      const { model, version } = servedBy(m);
      return modelQueue(model, version);
    }),
    modelQueue('fast', '1'),
    modelQueue('a', '0'),
    modelQueue('m-2', '1.0.3'),
    modelQueue('jobs', '1'),
    modelQueue('fast', 'jobs'),
    modelQueue('fast', '1.jobs-x'),
    modelQueue(`m${'x'.repeat(62)}`, `v${'1'.repeat(31)}`),
  ];
  t.equal(names.length, workers.length + 7);
  for (const name of names) t.match(name, pattern, `${name} is bounded by the policy`);
});

t.test('the pattern matches no other queue the services declare', async (t) => {
  const others = [
    ...workers.map((m) => {
      const { model, version } = servedBy(m);
      return jobQueue(model, version);
    }),
    jobQueue('fast', '1'),
    jobQueue('m-2', '1.0.3'),
    JOB_RESULTS_QUEUE,
    DEAD_LETTER_QUEUE,
    // A presence queue, named by the broker; replies use direct reply-to, which is no queue.
    'amq.gen-JzTY20BRgKO-HjmUJj0wLg',
    // Not a queue name the code builds, but near one: the anchors must hold.
    'x.mlapi.fast.1',
    'mlapi.fast',
    'mlapi.Fast.1',
  ];
  t.equal(others.length, workers.length + 8);
  for (const name of others) t.notMatch(name, pattern, `${JSON.stringify(name)} is left alone`);
});

t.test("the definition holds the workers' bounds and dead-letter exchange", async (t) => {
  t.same(Object.keys(spec?.definition ?? {}).sort(), [
    'dead-letter-exchange',
    'delivery-limit',
    'max-length',
    'overflow',
  ]);
  t.equal(spec?.definition.overflow, 'reject-publish', 'a full queue nacks, never drops');
  t.equal(spec?.definition['dead-letter-exchange'], DEAD_LETTER_EXCHANGE);
  t.ok(workers.length >= 4, `${workers.length} worker Deployments`);
  for (const m of workers) {
    // What the pod would run with: its env through the worker's own config reader, defaults
    // included (no Deployment sets the bounds today).
    const config = parseConfig({ ...envOf(m), MODEL_DIR: '/app/models/x' });
    t.equal(spec?.definition['max-length'], config.queueMaxLength, `${m.name} QUEUE_MAX_LENGTH`);
    t.equal(
      spec?.definition['delivery-limit'],
      config.queueDeliveryLimit,
      `${m.name} QUEUE_DELIVERY_LIMIT`,
    );
  }
});

t.test("the README's local rabbitmqctl command is the same policy", async (t) => {
  const readme = readRepoFile('README.md');
  const at = readme.indexOf('rabbitmqctl set_policy ');
  t.ok(at >= 0, 'the README shows the command');
  const command = readme.slice(at);
  const block = command.slice(0, command.indexOf('```'));
  t.ok(block.includes(`'${spec?.pattern}'`), 'the same pattern');
  t.ok(block.includes(`'${JSON.stringify(spec?.definition)}'`), 'the same definition');
  t.ok(block.includes(`--priority ${spec?.priority} --apply-to ${spec?.applyTo}`));
  t.ok(block.startsWith(`rabbitmqctl set_policy ${spec?.name} `), 'the same name');
});
