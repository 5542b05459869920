import t from 'tap';
import { find, loadManifests } from '../src/manifests.js';

// Issue 16: the state Redis (keys, quotas, traffic policies, jobs) is persisted, never evicts,
// and the gateways refuse to run against one that might.
const all = loadManifests();
const set = find(all, 'StatefulSet', 'mlapi-state-redis');
const container = set?.body.spec.template.spec.containers[0];
const args: string[] = container?.args ?? [];
const arg = (name: string) => {
  const at = args.indexOf(name);
  return at < 0 ? undefined : args[at + 1];
};

t.test('the state Redis is a StatefulSet on a PersistentVolumeClaim', async (t) => {
  t.ok(set, 'StatefulSet mlapi-state-redis');
  const claims = set?.body.spec.volumeClaimTemplates ?? [];
  t.equal(claims.length, 1);
  t.same(claims[0].spec.accessModes, ['ReadWriteOnce']);
  t.ok(claims[0].spec.resources.requests.storage, 'a size is asked for');
  const mount = container?.volumeMounts?.find(
    (m: { name: string }) => m.name === claims[0].metadata.name,
  );
  t.equal(mount?.mountPath, arg('--dir'), 'Redis writes its files onto the claim');
  t.equal(set?.body.spec.serviceName, 'mlapi-state-redis');
  const service = find(all, 'Service', 'mlapi-state-redis');
  t.same(service?.body.spec.selector, set?.body.spec.selector.matchLabels);
});

t.test('it persists every second and never evicts', async (t) => {
  t.equal(arg('--appendonly'), 'yes');
  t.equal(arg('--appendfsync'), 'everysec');
  t.equal(arg('--maxmemory-policy'), 'noeviction');
  t.match(arg('--maxmemory'), /^\d+mb$/, 'a memory cap below the container limit');
  const capMb = Number(arg('--maxmemory')?.replace('mb', ''));
  const limitMi = Number(String(container?.resources.limits.memory).replace('Mi', ''));
  t.ok(limitMi > capMb * 1.2, `limit ${limitMi}Mi leaves room above maxmemory ${capMb}mb`);
});

t.test('it has probes and a disruption budget', async (t) => {
  t.ok(container?.readinessProbe, 'readiness');
  t.ok(container?.livenessProbe, 'liveness');
  t.ok(container?.startupProbe, 'start-up (loading a large AOF)');
  const pdb = find(all, 'PodDisruptionBudget', 'mlapi-state-redis');
  t.same(pdb?.body.spec.selector.matchLabels, set?.body.spec.selector.matchLabels);
  t.equal(pdb?.body.spec.minAvailable, 1);
});

t.test('the gateway uses it and refuses one that may evict', async (t) => {
  const gateway = find(all, 'Deployment', 'mlapi-api');
  const env: { name: string; value?: string }[] =
    gateway?.body.spec.template.spec.containers[0].env ?? [];
  const value = (name: string) => env.find((e) => e.name === name)?.value;
  t.equal(value('STATE_REDIS_URL'), 'redis://mlapi-state-redis:6379');
  t.equal(value('STATE_REDIS_REQUIRE_DURABLE'), 'true');
  t.equal(value('REDIS_URL'), 'redis://mlapi-redis:6379', 'the cache stays apart');
});
