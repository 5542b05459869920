import t from 'tap';
import { validateManifest } from '../src/kube-schemas.js';
import {
  loadManifests,
  type Manifest,
  manifestFiles,
  parseManifestFile,
} from '../src/manifests.js';

t.test('every manifest file parses as YAML into objects with apiVersion and kind', async (t) => {
  const files = manifestFiles();
  t.ok(files.length >= 10, `found ${files.length} manifest files`);
  for (const file of files) {
    t.doesNotThrow(() => parseManifestFile(file), file);
  }
});

t.test('every manifest validates against the schema of its apiVersion and kind', async (t) => {
  const all = loadManifests();
  const kinds = new Set(all.map((m) => `${m.apiVersion} ${m.kind}`));
  // The CRDs are checked too, not just the built-in kinds.
  for (const crd of [
    'rabbitmq.com/v1beta1 RabbitmqCluster',
    'rabbitmq.com/v1beta1 User',
    'rabbitmq.com/v1beta1 Permission',
    'rabbitmq.com/v1beta1 Exchange',
    'rabbitmq.com/v1beta1 Policy',
    'keda.sh/v1alpha1 ScaledObject',
    'keda.sh/v1alpha1 TriggerAuthentication',
    'monitoring.coreos.com/v1 PrometheusRule',
    'monitoring.coreos.com/v1 PodMonitor',
    'monitoring.coreos.com/v1 ServiceMonitor',
  ]) {
    t.ok(kinds.has(crd), `a ${crd} is among the manifests`);
  }
  for (const m of all) {
    t.same(await validateManifest(m), [], `${m.file}#${m.doc} ${m.kind}/${m.name}`);
  }
});

t.test('the schema check rejects a broken manifest of each family', async (t) => {
  const bad = (apiVersion: string, kind: string, body: object): Manifest => ({
    file: 'inline',
    doc: 0,
    apiVersion,
    kind,
    name: 'x',
    namespace: 'mlapi',
    body: { apiVersion, kind, metadata: { name: 'x' }, ...body },
  });
  const cases: Manifest[] = [
    bad('apps/v1', 'Deployment', {
      spec: { selector: {}, template: { spec: { containers: 'x' } } },
    }),
    bad('autoscaling/v2', 'HorizontalPodAutoscaler', { spec: { maxReplicas: 'ten' } }),
    bad('rabbitmq.com/v1beta1', 'RabbitmqCluster', { spec: { replicas: 3, persistance: {} } }),
    bad('rabbitmq.com/v1beta1', 'RabbitmqCluster', {
      spec: { resources: { limits: { cpu: [] } } },
    }),
    bad('rabbitmq.com/v1beta1', 'User', { spec: { tags: ['root'], rabbitmqClusterReference: {} } }),
    bad('rabbitmq.com/v1beta1', 'Permission', {
      spec: { vhost: '/', permissions: { configure: '' }, rabbitmqClusterReference: {} },
    }),
    bad('rabbitmq.com/v1beta1', 'Permission', {
      spec: {
        vhost: '/',
        userReference: { name: 'u' },
        permissions: { conifgure: '' },
        rabbitmqClusterReference: {},
      },
    }),
    bad('rabbitmq.com/v1beta1', 'Policy', {
      spec: {
        name: 'p',
        pattern: '^x$',
        applyTo: 'queue',
        definition: { 'max-length': 1 },
        rabbitmqClusterReference: {},
      },
    }),
    bad('rabbitmq.com/v1beta1', 'Policy', {
      spec: { name: 'p', pattern: '^x$', rabbitmqClusterReference: {} },
    }),
    bad('keda.sh/v1alpha1', 'ScaledObject', { spec: { triggers: [] } }),
    bad('monitoring.coreos.com/v1', 'PrometheusRule', { spec: { groups: [{ rules: 'x' }] } }),
    bad('example.com/v1', 'Widget', {}),
  ];
  for (const m of cases) {
    t.not((await validateManifest(m)).length, 0, `${m.apiVersion} ${m.kind} is rejected`);
  }
});

t.test('no Secret is committed and no object is defined twice', async (t) => {
  const all = loadManifests();
  t.same(
    all.filter((m) => m.kind === 'Secret').map((m) => m.file),
    [],
  );
  const seen = new Set<string>();
  for (const m of all) {
    const key = `${m.apiVersion} ${m.kind} ${m.namespace ?? ''}/${m.name}`;
    t.notOk(seen.has(key), `${key} (${m.file}) is defined once`);
    seen.add(key);
  }
});
