import t from 'tap';
import { find, loadManifests, type Manifest } from '../src/manifests.js';
import { envVarsRead, type ServiceName, serviceContract } from '../src/service-contract.js';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: object;
}

const all = loadManifests();
const workers = all.filter((m) => m.kind === 'Deployment' && m.name.startsWith('mlapi-worker-'));
const gateway = find(all, 'Deployment', 'mlapi-api') as Manifest;
const targets: [ServiceName, Manifest][] = [
  ['api', gateway],
  ...workers.map((m): [ServiceName, Manifest] => ['worker', m]),
];
// biome-ignore lint/suspicious/noExplicitAny: manifest bodies are untyped YAML.
const container = (m: Manifest): any => m.body.spec.template.spec.containers[0];
const envOf = (m: Manifest): EnvVar[] => container(m).env ?? [];
const envValue = (m: Manifest, name: string): string | undefined =>
  envOf(m).find((e) => e.name === name)?.value;

t.test('the env-var reader finds the helper, property and index styles', async (t) => {
  // Checked against the services' own config.ts below; here, that it does not over-collect.
  const names = envVarsRead('packages/worker/src/config.ts');
  t.ok(names.has('MODEL_DIR'));
  t.ok(names.has('AMQP_URL'));
  t.notOk(names.has('WORKER_CONFIG'), 'an error code is not an env var');
});

for (const [service, m] of targets) {
  t.test(`every environment variable ${m.name} sets is read by the ${service}`, async (t) => {
    const read = serviceContract(service).env;
    const env = envOf(m);
    t.ok(env.length > 0);
    env.forEach((e, i) => {
      // A variable set only to build another by $(NAME) expansion must be used, and defined
      // first: Kubernetes expands only variables defined earlier in the list.
      const usedLater = env.slice(i + 1).some((x) => x.value?.includes(`$(${e.name})`));
      t.ok(read.has(e.name) || usedLater, `${e.name} is read by the service or expanded later`);
    });
    env.forEach((e, i) => {
      for (const [, ref] of e.value?.matchAll(/\$\((\w+)\)/g) ?? []) {
        const at = env.findIndex((x) => x.name === ref);
        t.ok(at >= 0 && at < i, `$(${ref}) in ${e.name} refers to an earlier variable`);
      }
    });
  });

  t.test(
    `${m.name}'s probes use paths the ${service} serves, on the port it listens on`,
    async (t) => {
      const { paths } = serviceContract(service);
      const c = container(m);
      const port = Number(envValue(m, 'PORT') ?? (service === 'api' ? 8080 : 9090));
      const declared = c.ports.find((p: { containerPort: number }) => p.containerPort === port);
      t.ok(declared, `container port ${port} is the service's PORT`);
      for (const kind of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        const probe = c[kind]?.httpGet;
        t.ok(probe, `${kind} is an HTTP probe`);
        t.ok(paths.has(probe?.path), `${kind} path ${probe?.path} is served`);
        t.ok(
          probe?.port === declared?.name || probe?.port === port,
          `${kind} targets port ${port}`,
        );
      }
      t.equal(c.readinessProbe.httpGet.path, '/health/ready');
      t.equal(c.livenessProbe.httpGet.path, '/health/live');
      t.ok(paths.has('/metrics'), 'it serves /metrics');
      const annotations = m.body.spec.template.metadata.annotations ?? {};
      t.equal(annotations['prometheus.io/port'], String(port), 'scraped on that port');
    },
  );
}

const preStopSeconds = (m: Manifest): number => {
  const command: string[] = container(m).lifecycle?.preStop?.exec?.command ?? [];
  return command[0] === 'sleep' ? Number(command[1]) : 0;
};

t.test(
  "the gateway's grace period covers preStop plus its drain, which covers a deadline",
  async (t) => {
    const shutdownMs = Number(envValue(gateway, 'SHUTDOWN_GRACE_MS'));
    const deadlineMs = Number(envValue(gateway, 'DEADLINE_MAX_MS'));
    t.ok(preStopSeconds(gateway) >= 3, 'preStop gives endpoints time to drop the pod');
    t.ok(shutdownMs >= deadlineMs, 'SHUTDOWN_GRACE_MS lets the longest request finish');
    const grace = gateway.body.spec.template.spec.terminationGracePeriodSeconds;
    t.ok(grace > preStopSeconds(gateway) + shutdownMs / 1000, `grace ${grace} s`);
  },
);

t.test("each worker's grace period covers preStop plus the longest deadline", async (t) => {
  const deadlineMs = Number(envValue(gateway, 'DEADLINE_MAX_MS'));
  for (const m of workers) {
    const grace = m.body.spec.template.spec.terminationGracePeriodSeconds;
    t.ok(preStopSeconds(m) > 0, `${m.name} has a preStop hook`);
    t.ok(grace > preStopSeconds(m) + deadlineMs / 1000, `${m.name} grace ${grace} s`);
  }
});
