import t from 'tap';
import { loadManifests } from '../src/manifests.js';

const policies = loadManifests().filter((m) => m.kind === 'NetworkPolicy');
// Namespaces of infrastructure that must reach in: Prometheus, the RabbitMQ operator, KEDA.
const INFRA = new Set(['monitoring', 'rabbitmq-system', 'keda']);

interface Peer {
  podSelector?: { matchLabels?: Record<string, string> };
  namespaceSelector?: { matchLabels?: Record<string, string> };
  ipBlock?: object;
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: { port: number }[];
}

t.test('the namespace denies all traffic by default', async (t) => {
  const deny = policies.find((p) => p.name === 'default-deny-all');
  t.same(deny?.body.spec.podSelector, {});
  t.same(deny?.body.spec.policyTypes, ['Ingress', 'Egress']);
  t.notOk(deny?.body.spec.ingress);
  t.notOk(deny?.body.spec.egress);
});

t.test('only the gateway is reachable from outside the namespace', async (t) => {
  for (const p of policies) {
    for (const rule of (p.body.spec.ingress ?? []) as Rule[]) {
      const open = rule.from === undefined || rule.from.length === 0;
      const foreign = (rule.from ?? []).filter((peer) => {
        const ns = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
        return peer.ipBlock !== undefined || (peer.namespaceSelector && !INFRA.has(ns ?? ''));
      });
      if (open || foreign.length > 0) {
        t.same(
          p.body.spec.podSelector.matchLabels,
          { 'app.kubernetes.io/name': 'mlapi-api' },
          p.name,
        );
        t.same(
          rule.ports?.map((x) => x.port),
          [8080],
          'and only on its HTTP port',
        );
      }
    }
  }
});

t.test('workers may only reach RabbitMQ (plus DNS) and only Prometheus reaches them', async (t) => {
  const worker = policies.find((p) => p.name === 'mlapi-worker');
  t.same(worker?.body.spec.policyTypes, ['Ingress', 'Egress']);
  const egress = worker?.body.spec.egress as Rule[];
  t.same(egress, [
    {
      to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mlapi-rabbitmq' } } }],
      ports: [{ protocol: 'TCP', port: 5672 }],
    },
  ]);
  const ingress = worker?.body.spec.ingress as Rule[];
  t.equal(ingress.length, 1);
  t.same(ingress[0]?.from?.[0]?.namespaceSelector?.matchLabels, {
    'kubernetes.io/metadata.name': 'monitoring',
  });
  // The only other policy that selects workers is the namespace-wide DNS one.
  const dns = policies.find((p) => p.name === 'allow-dns-egress');
  t.same(
    ((dns?.body.spec.egress as Rule[] | undefined) ?? []).flatMap((r) =>
      r.ports?.map((x) => x.port),
    ),
    [53, 53],
  );
  t.same(dns?.body.spec.policyTypes, ['Egress']);
});

t.test('the gateway reaches RabbitMQ and Redis, Redis admits only the gateway', async (t) => {
  const api = policies.find((p) => p.name === 'mlapi-api');
  const targets = ((api?.body.spec.egress as Rule[] | undefined) ?? []).map((r) => [
    r.to?.[0]?.podSelector?.matchLabels?.['app.kubernetes.io/name'],
    r.ports?.[0]?.port,
  ]);
  t.same(targets, [
    ['mlapi-rabbitmq', 5672],
    ['mlapi-redis', 6379],
    ['mlapi-state-redis', 6379],
  ]);
  for (const name of ['mlapi-redis', 'mlapi-state-redis']) {
    const redis = policies.find((p) => p.name === name);
    t.same(redis?.body.spec.podSelector.matchLabels, { 'app.kubernetes.io/name': name });
    t.same(
      redis?.body.spec.ingress,
      [
        {
          from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mlapi-api' } } }],
          ports: [{ protocol: 'TCP', port: 6379 }],
        },
      ],
      `${name} admits only the gateway`,
    );
  }
  const state = policies.find((p) => p.name === 'mlapi-state-redis');
  t.same(state?.body.spec.policyTypes, ['Ingress', 'Egress'], 'the state Redis reaches nothing');
  t.notOk(state?.body.spec.egress);
});
