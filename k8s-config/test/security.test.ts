import t from 'tap';
import { loadManifests, podSpecs } from '../src/manifests.js';

const all = loadManifests();
const pods = podSpecs(all);

t.test('there are workloads to check', async (t) => {
  t.ok(pods.length >= 5, `${pods.length} workloads`);
});

for (const { manifest, spec } of pods) {
  t.test(
    `${manifest.kind} ${manifest.name}: every container is locked down with limits`,
    async (t) => {
      const pod = spec.securityContext ?? {};
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        const sc = c.securityContext ?? {};
        const at = `${manifest.name}/${c.name}`;
        t.ok(sc.runAsNonRoot ?? pod.runAsNonRoot, `${at} runs as non-root`);
        const uid = sc.runAsUser ?? pod.runAsUser;
        t.ok(uid === undefined || uid > 0, `${at} has a non-zero uid`);
        t.equal(sc.allowPrivilegeEscalation, false, `${at} no privilege escalation`);
        t.equal(sc.readOnlyRootFilesystem, true, `${at} read-only root filesystem`);
        t.same(sc.capabilities?.drop, ['ALL'], `${at} drops all capabilities`);
        t.notOk(sc.capabilities?.add, `${at} adds no capability`);
        t.notOk(sc.privileged, `${at} is not privileged`);
        const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
        t.equal(seccomp, 'RuntimeDefault', `${at} seccomp RuntimeDefault`);
        t.ok(c.resources?.limits?.memory, `${at} has a memory limit`);
        t.ok(c.resources?.limits?.cpu, `${at} has a CPU limit`);
        t.ok(c.resources?.requests?.cpu, `${at} requests CPU (the HPA measures against it)`);
        t.ok(c.resources?.requests?.memory, `${at} requests memory`);
        // Pinned: a tag that is not `latest` (or a digest).
        t.match(c.image, /^[^:@]+(:[\w][\w.-]*|@sha256:[0-9a-f]{64})$/, `${at} image has a tag`);
        t.notMatch(c.image, /:latest$/, `${at} image is not :latest`);
      }
      t.notOk(spec.hostNetwork || spec.hostPID || spec.hostIPC, 'no host namespaces');
    },
  );
}

t.test('every image anywhere is pinned, including the broker', async (t) => {
  const images: string[] = [];
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'image' && typeof x === 'string') images.push(x);
        else collect(x);
      }
    }
  };
  for (const m of all) collect(m.body);
  t.ok(images.some((i) => i.startsWith('rabbitmq:')));
  for (const image of images) t.match(image, /:[\w][\w.-]*$/, `${image} is pinned`);
  for (const image of images) t.notMatch(image, /:latest$/, `${image} is not latest`);
});

t.test('credentials come only from Secrets', async (t) => {
  for (const { manifest, spec } of pods) {
    for (const c of spec.containers) {
      const env: { name: string; value?: string; valueFrom?: { secretKeyRef?: object } }[] =
        c.env ?? [];
      for (const e of env) {
        if (/PASS|USER|SECRET|TOKEN|KEY$/.test(e.name)) {
          t.ok(e.valueFrom?.secretKeyRef, `${manifest.name} ${e.name} is from a Secret`);
        }
        if (e.value !== undefined && /^\w+:\/\//.test(e.value)) {
          // A URL may carry credentials only as $(VAR) references to Secret-backed variables.
          const userinfo = /^\w+:\/\/([^@/]*)@/.exec(e.value)?.[1];
          if (userinfo !== undefined) {
            t.match(
              userinfo,
              /^\$\(\w+\):\$\(\w+\)$/,
              `${manifest.name} ${e.name} has no literal credentials`,
            );
            for (const ref of userinfo.match(/\$\((\w+)\)/g) ?? []) {
              const source = env.find((x) => `$(${x.name})` === ref);
              t.ok(source?.valueFrom?.secretKeyRef, `${manifest.name} ${ref} is from a Secret`);
            }
          }
        }
      }
    }
  }
  const broker = pods.filter(({ spec }) =>
    spec.containers.some((c: { env?: { name: string }[] }) =>
      c.env?.some((e) => e.name === 'AMQP_URL'),
    ),
  );
  t.ok(broker.length >= 2, 'the gateway and the workers get AMQP_URL');
});
