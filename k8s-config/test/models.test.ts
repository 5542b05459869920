import t from 'tap';
import { find, loadManifests } from '../src/manifests.js';
import { listModels, readRepoFile } from '../src/repo.js';

const all = loadManifests();
const models = listModels();

t.test('the repository has models to deploy', async (t) => {
  t.ok(models.length > 0, `models/*/model.json: ${models.join(', ')}`);
});

for (const model of models) {
  t.test(
    `model ${model} has a worker Deployment and an HPA at 80% CPU, 1 to 10 replicas`,
    async (t) => {
      const name = `mlapi-worker-${model}`;
      const manifest = JSON.parse(readRepoFile('models', model, 'model.json'));
      t.equal(manifest.name, model, 'model.json names the folder it is in');

      const deployment = find(all, 'Deployment', name);
      t.ok(deployment, `Deployment ${name}`);
      t.equal(deployment?.file, `models/${model}/k8s/deployment.yaml`);
      const container = deployment?.body.spec.template.spec.containers[0];
      const env = Object.fromEntries(
        (container?.env ?? []).map((e: { name: string; value?: string }) => [e.name, e.value]),
      );
      t.equal(env.MODEL_DIR, `/app/models/${model}`, 'MODEL_DIR is where the image puts the model');
      t.equal(deployment?.body.spec.template.metadata.labels['mlapi.io/model'], model);
      t.equal(
        deployment?.body.spec.template.metadata.labels['mlapi.io/version'],
        manifest.version,
        'the stable Deployment is labelled with the version in model.json',
      );

      const hpa = find(all, 'HorizontalPodAutoscaler', name);
      t.ok(hpa, `HPA ${name}`);
      t.equal(hpa?.apiVersion, 'autoscaling/v2');
      t.equal(hpa?.file, `models/${model}/k8s/hpa.yaml`);
      t.same(hpa?.body.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name });
      t.equal(hpa?.body.spec.minReplicas, 1);
      t.equal(hpa?.body.spec.maxReplicas, 10);
      t.same(hpa?.body.spec.metrics, [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
        },
      ]);

      const scaled = find(all, 'ScaledObject', name);
      t.ok(scaled, `optional KEDA ScaledObject ${name}`);
      t.equal(scaled?.body.spec.scaleTargetRef.name, name);
      const rabbit = scaled?.body.spec.triggers.find(
        (x: { type: string }) => x.type === 'rabbitmq',
      );
      t.equal(
        rabbit?.metadata.queueName,
        `mlapi.${model}.${manifest.version}`,
        "scales on the stable version's queue",
      );
      t.notMatch(rabbit?.metadata.host ?? '', /@/, 'no credentials in the trigger host');
      t.equal(rabbit?.authenticationRef?.name, 'mlapi-rabbitmq');
    },
  );
}

t.test('every per-model manifest folder belongs to a model', async (t) => {
  const folders = new Set(
    all.filter((m) => m.file.startsWith('models/')).map((m) => m.file.split('/')[1]),
  );
  t.same([...folders].sort(), models);
  const workers = all.filter(
    (m) =>
      m.kind === 'Deployment' &&
      m.name.startsWith('mlapi-worker-') &&
      !/^models\/[^/]+\/k8s\/versions\//.test(m.file),
  );
  t.same(workers.map((m) => m.name.slice('mlapi-worker-'.length)).sort(), models);
});

const versioned = all.filter(
  (m) => m.kind === 'Deployment' && /^models\/[^/]+\/k8s\/versions\/[^/]+\//.test(m.file),
);

t.test('the repository ships a per-version (canary) Deployment to copy', async (t) => {
  t.ok(versioned.length >= 1, versioned.map((m) => m.file).join(', '));
});

for (const canary of versioned) {
  t.test(`${canary.file} differs from its stable Deployment only by version`, async (t) => {
    const [, model, , , version] = canary.file.split('/') as string[];
    t.match(version, /^[a-z0-9][a-z0-9._-]{0,31}$/, 'the folder is a model version');
    const name = `mlapi-worker-${model}-v${version}`;
    t.equal(canary.name, name);
    const stable = find(all, 'Deployment', `mlapi-worker-${model}`);
    t.ok(stable, 'the stable Deployment exists');
    const stableVersion = stable?.body.metadata.labels['mlapi.io/version'];
    t.not(version, stableVersion, 'another version than the stable one');
    const labels = canary.body.spec.template.metadata.labels;
    t.equal(labels['mlapi.io/version'], version);
    t.equal(canary.body.metadata.labels['mlapi.io/version'], version);
    t.same(canary.body.spec.selector.matchLabels, {
      'app.kubernetes.io/instance': name,
      'mlapi.io/version': version,
    });
    const image: string = canary.body.spec.template.spec.containers[0].image;
    t.match(image, new RegExp(`^mlapi/mlapi-worker-${model}:`), 'the model image, another tag');
    t.not(image, stable?.body.spec.template.spec.containers[0].image);

    // Put the stable values back: what is left must be the stable Deployment exactly.
    const undone = JSON.parse(
      JSON.stringify(canary.body)
        .replaceAll(`"${name}"`, `"mlapi-worker-${model}"`)
        .replaceAll(`"mlapi.io/version":"${version}"`, `"mlapi.io/version":"${stableVersion}"`)
        .replace(`"${image}"`, `"${stable?.body.spec.template.spec.containers[0].image}"`),
    );
    delete undone.spec.selector.matchLabels['mlapi.io/version'];
    t.same(undone, stable?.body, 'nothing else differs');

    const hpa = find(all, 'HorizontalPodAutoscaler', name);
    t.equal(hpa?.file, canary.file.replace('deployment.yaml', 'hpa.yaml'));
    t.same(hpa?.body.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name });
    t.equal(hpa?.body.metadata.labels['mlapi.io/version'], version);
  });
}

t.test('the gateway has a Deployment, a Service, an HPA at 80% CPU and a PDB', async (t) => {
  const deployment = find(all, 'Deployment', 'mlapi-api');
  t.ok(deployment);
  const service = find(all, 'Service', 'mlapi-api');
  t.same(service?.body.spec.selector, deployment?.body.spec.selector.matchLabels);
  const hpa = find(all, 'HorizontalPodAutoscaler', 'mlapi-api');
  t.equal(hpa?.apiVersion, 'autoscaling/v2');
  t.equal(hpa?.body.spec.scaleTargetRef.name, 'mlapi-api');
  t.ok(hpa?.body.spec.minReplicas >= 2, 'at least two gateways');
  t.ok(hpa?.body.spec.maxReplicas > hpa?.body.spec.minReplicas);
  t.equal(hpa?.body.spec.metrics[0].resource.target.averageUtilization, 80);
  const pdb = find(all, 'PodDisruptionBudget', 'mlapi-api');
  t.same(pdb?.body.spec.selector.matchLabels, deployment?.body.spec.selector.matchLabels);
});

t.test('the broker is a three-node RabbitmqCluster with resources and persistence', async (t) => {
  const cluster = find(all, 'RabbitmqCluster', 'mlapi-rabbitmq');
  t.equal(cluster?.body.spec.replicas, 3);
  t.ok(cluster?.body.spec.persistence.storage);
  t.ok(cluster?.body.spec.resources.limits.memory);
  t.ok(cluster?.body.spec.resources.requests.cpu);
});

t.test('Redis is a bounded, non-persistent LRU cache', async (t) => {
  const redis = find(all, 'Deployment', 'mlapi-redis');
  const args: string[] = redis?.body.spec.template.spec.containers[0].args ?? [];
  const arg = (flag: string) => args[args.indexOf(flag) + 1];
  t.ok(args.includes('--maxmemory'));
  t.equal(arg('--maxmemory-policy'), 'allkeys-lru');
  t.equal(arg('--save'), '');
  t.equal(arg('--appendonly'), 'no');
  t.ok(find(all, 'Service', 'mlapi-redis'));
});
