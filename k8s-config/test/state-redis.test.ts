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
  t.equal(
    value('STATE_REDIS_URL'),
    'redis://$(STATE_REDIS_USERNAME):$(STATE_REDIS_PASSWORD)@mlapi-state-redis:6379',
  );
  t.equal(value('STATE_REDIS_REQUIRE_DURABLE'), 'true');
  t.equal(
    value('REDIS_URL'),
    'redis://$(REDIS_USERNAME):$(REDIS_PASSWORD)@mlapi-redis:6379',
    'the cache stays apart',
  );
  const secretOf = (name: string) =>
    // biome-ignore lint/suspicious/noExplicitAny: arbitrary YAML.
    (env as any[]).find((e) => e.name === name)?.valueFrom?.secretKeyRef?.name;
  t.equal(secretOf('STATE_REDIS_USERNAME'), 'mlapi-state-redis-gateway');
  t.equal(secretOf('STATE_REDIS_PASSWORD'), 'mlapi-state-redis-gateway', 'its own Secret');
});

/** The `--user` rules of the Redis, by user name. */
function aclUsers(redisArgs: string[]): Map<string, string[]> {
  const users = new Map<string, string[]>();
  let rules: string[] | null = null;
  for (let i = 0; i < redisArgs.length; i++) {
    const arg = redisArgs[i] ?? '';
    if (arg.startsWith('--')) {
      rules = null;
      if (arg === '--user') {
        rules = [];
        users.set(redisArgs[++i] ?? '', rules);
      }
    } else rules?.push(arg);
  }
  return users;
}

t.test('only the gateway, as its ACL user, may use it', async (t) => {
  const users = aclUsers(args);
  t.same(users.get('default'), ['off'], 'the default user is off');
  t.same(users.get('health'), ['on', 'nopass', '-@all', '+ping'], 'the probe user may only PING');
  const gateway = users.get('mlapi-gateway') ?? [];
  t.equal(gateway[1], '#$(REDIS_GATEWAY_PASSWORD_SHA256)', 'a SHA-256, not a password');
  const hash = container?.env?.find(
    (e: { name: string }) => e.name === 'REDIS_GATEWAY_PASSWORD_SHA256',
  );
  t.equal(hash?.valueFrom?.secretKeyRef?.name, 'mlapi-state-redis-gateway');
  t.ok(gateway.includes('resetchannels'), 'no pub/sub channel');
  const patterns = gateway.filter((r) => r.startsWith('~'));
  t.ok(patterns.length > 0, 'key patterns');
  for (const p of patterns) t.match(p, /^~mlapi:/, `${p} is one of the gateway's prefixes`);
  t.notOk(
    patterns.some((p) => p.startsWith('~mlapi:v2:pred:')),
    'no cached prediction on the state Redis',
  );
  const allowed = gateway.filter((r) => r.startsWith('+'));
  t.equal(gateway.indexOf('-@all'), gateway.indexOf(allowed[0] ?? '') - 1, 'all off first');
  for (const c of ['+@all', '+keys', '+scan', '+flushall', '+flushdb', '+config', '+acl']) {
    t.notOk(allowed.includes(c), `no ${c}`);
  }
  t.notOk(
    allowed.some((c) => c.startsWith('+@')),
    'single commands, no category',
  );
  for (const probe of [container?.readinessProbe, container?.startupProbe]) {
    t.match(probe?.exec?.command, ['redis-cli', '-p', '6379', '--user', 'health']);
  }
});
