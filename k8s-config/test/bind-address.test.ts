import { pathToFileURL } from 'node:url';
import t from 'tap';
import { find, loadManifests, type Manifest } from '../src/manifests.js';
import { readRepoFile, repoPath } from '../src/repo.js';

// `pnpm start` binds the local stack to 127.0.0.1; in a pod the kubelet's probes and the
// Service reach the container on its pod IP, so there the services must bind every interface.
// The pods get that from the services' own default (HOST unset), which this checks through the
// real config loaders, so a change to the default or a HOST in a manifest or image cannot
// quietly make a pod unreachable.

type HostOf = (env: Record<string, string>) => string;

async function loader(pkg: 'api' | 'worker'): Promise<HostOf> {
  const url = pathToFileURL(repoPath('packages', pkg, 'dist', 'config.js')).href;
  const mod = (await import(url)) as {
    loadConfig?: (env: Record<string, string>) => { host: string };
    parseConfig?: (env: Record<string, string>) => { host: string };
  };
  const load = mod.loadConfig ?? mod.parseConfig;
  if (load === undefined) throw new Error(`packages/${pkg}: no config loader`);
  return (env) => load({ MODEL_DIR: '/models/x', ...env }).host;
}

const WILDCARD = new Set(['0.0.0.0', '::']);
const all = loadManifests();
const hostEnv = (m: Manifest): Record<string, string> => {
  const env: { name: string; value?: string }[] =
    // biome-ignore lint/suspicious/noExplicitAny: manifest bodies are untyped YAML.
    (m.body as any).spec.template.spec.containers[0].env ?? [];
  const host = env.find((e) => e.name === 'HOST')?.value;
  return host === undefined ? {} : { HOST: host };
};

t.test('the gateway and every worker bind all interfaces in their pods', async (t) => {
  const hostOf = { api: await loader('api'), worker: await loader('worker') };
  const gateway = find(all, 'Deployment', 'mlapi-api');
  const workers = all.filter((m) => m.kind === 'Deployment' && m.name.startsWith('mlapi-worker-'));
  t.ok(gateway, 'the gateway Deployment exists');
  t.ok(workers.length >= 3, `${workers.length} worker Deployments`);
  const targets: ['api' | 'worker', Manifest][] = [
    ['api', gateway as Manifest],
    ...workers.map((m): ['worker', Manifest] => ['worker', m]),
  ];
  for (const [service, m] of targets) {
    const host = hostOf[service](hostEnv(m));
    t.ok(WILDCARD.has(host), `${m.name} binds ${host}`);
  }
});

t.test('the images do not pin HOST to loopback', async (t) => {
  for (const pkg of ['api', 'worker']) {
    const dockerfile = readRepoFile('packages', pkg, 'Dockerfile');
    t.notMatch(dockerfile, /^\s*ENV\s+.*\bHOST=/m, `packages/${pkg}/Dockerfile leaves HOST unset`);
  }
});
