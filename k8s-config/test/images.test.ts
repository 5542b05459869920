import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import t from 'tap';
import { expand, parseDockerfile } from '../src/dockerfile.js';
import { loadManifests, podSpecs } from '../src/manifests.js';
import { listModels, repoPath } from '../src/repo.js';

const script = repoPath('build-images.sh');
const models = listModels();

function dryRun(...args: string[]): string[] {
  return execFileSync(script, ['--dry-run', ...args], { encoding: 'utf8' })
    .trim()
    .split('\n');
}
const tagsOf = (lines: string[]): string[] =>
  lines
    .filter((l) => l.startsWith('docker build '))
    .map((l) => /--tag (\S+)/.exec(l)?.[1] ?? '')
    .sort();

t.test('build-images.sh is clean under shellcheck', async (t) => {
  const result = spawnSync('shellcheck', ['--severity=style', script], { encoding: 'utf8' });
  t.equal(result.error, undefined, 'shellcheck is installed (apt-get install shellcheck)');
  t.equal(result.status, 0, result.stdout);
});

t.test('--dry-run prints one build per model plus the gateway, and runs nothing', async (t) => {
  const lines = dryRun();
  t.same(
    tagsOf(lines),
    ['mlapi/mlapi-api:0.1.0', ...models.map((m) => `mlapi/mlapi-worker-${m}:0.1.0`)].sort(),
  );
  for (const m of models) {
    t.ok(
      lines.some((l) => l.includes(`--build-arg MODEL=${m} `)),
      `${m} passes MODEL=${m}`,
    );
  }
  t.notOk(
    lines.some((l) => l.startsWith('docker push')),
    'no push without --push',
  );
});

t.test('--registry, --tag and --push shape every command', async (t) => {
  const lines = dryRun('--registry', 'registry.example.com/team/', '--tag', 'v2.0.1', '--push');
  const tags = tagsOf(lines);
  t.equal(tags.length, models.length + 1);
  for (const tag of tags) {
    t.match(tag, /^registry\.example\.com\/team\/mlapi-[a-z0-9-]+:v2\.0\.1$/);
    t.ok(lines.includes(`docker push ${tag}`), `${tag} is pushed`);
  }
});

t.test('bad options fail with usage instead of building', async (t) => {
  for (const args of [['--bogus'], ['--tag'], ['--tag', 'no spaces allowed'], ['--registry', '']]) {
    const result = spawnSync(script, ['--dry-run', ...args], { encoding: 'utf8' });
    t.not(result.status, 0, args.join(' '));
    t.equal(result.stdout.includes('docker build'), false);
  }
  const help = spawnSync(script, ['--help'], { encoding: 'utf8' });
  t.equal(help.status, 0);
  t.match(help.stdout, /--dry-run/);
});

t.test('the images the manifests deploy are exactly the ones build-images.sh builds', async (t) => {
  const built = new Set(tagsOf(dryRun()));
  // A canary Deployment (models/<name>/k8s/versions/<v>/) runs the same image at its own tag.
  const isCanary = (file: string) => /^models\/[^/]+\/k8s\/versions\//.test(file);
  // Both Redis roles (cache and state) run the upstream image, which we do not build.
  const upstream = new Set(['mlapi-redis', 'mlapi-state-redis']);
  const deployed = podSpecs(loadManifests()).filter(
    ({ manifest }) => manifest.namespace === 'mlapi' && !upstream.has(manifest.name),
  );
  const imagesOf = (list: typeof deployed) =>
    list.flatMap(({ spec }) => spec.containers.map((c: { image: string }) => c.image)).sort();
  t.same(imagesOf(deployed.filter(({ manifest }) => !isCanary(manifest.file))), [...built].sort());
  const canaries = imagesOf(deployed.filter(({ manifest }) => isCanary(manifest.file)));
  t.ok(canaries.length > 0, 'there is a canary Deployment');
  const repositories = new Set([...built].map((image) => image.slice(0, image.lastIndexOf(':'))));
  for (const image of canaries) {
    t.ok(repositories.has(image.slice(0, image.lastIndexOf(':'))), `${image}: an image we build`);
  }
});

const dockerfiles = ['packages/api/Dockerfile', 'packages/worker/Dockerfile'];
for (const file of dockerfiles) {
  t.test(`${file}: stages, COPY sources and the final stage hold up`, async (t) => {
    const steps = parseDockerfile(file);
    // The worker is built once per model; check its sources for each.
    const variants = file.includes('worker') ? models.map((m) => ({ MODEL: m })) : [{}];
    const stages: string[] = [];
    let finalStage: typeof steps = [];
    for (const step of steps) {
      if (step.op === 'FROM') {
        const [image = '', as, name] = step.args;
        t.match(image, /^node:20\.\d+\.\d+-bookworm-slim$/, `line ${step.line}: pinned glibc Node`);
        if (as?.toUpperCase() === 'AS' && name) stages.push(name);
        finalStage = [];
      }
      finalStage.push(step);
      if (step.op !== 'COPY') continue;
      if (step.flags.from !== undefined) {
        t.ok(
          stages.slice(0, -1).includes(step.flags.from),
          `line ${step.line}: stage ${step.flags.from} exists`,
        );
        continue;
      }
      for (const vars of variants) {
        for (const source of step.args.slice(0, -1)) {
          const path = expand(source, vars);
          t.ok(existsSync(repoPath(path)), `line ${step.line}: ${path} exists in the repo`);
        }
      }
    }
    t.ok(stages.length >= 2, 'multi-stage');
    const ops = finalStage.map((s) => s.op);
    const user = finalStage.filter((s) => s.op === 'USER').at(-1);
    t.match(
      user?.args[0] ?? '',
      /^[1-9]\d*(:\d+)?$/,
      'final stage runs as a numeric non-root user',
    );
    t.ok(ops.includes('CMD') || ops.includes('ENTRYPOINT'));
    const runs = finalStage.filter((s) => s.op === 'RUN').map((s) => s.args.join(' '));
    t.notOk(
      runs.some((r) => /\b(pnpm|npm install|apt-get install|tsc)\b/.test(r)),
      'no build in the final stage',
    );
    t.ok(
      runs.some((r) => r.includes('/usr/local/bin/npm')),
      'the final stage drops npm',
    );
    const build = steps
      .filter((s) => s.op === 'RUN')
      .map((s) => s.args.join(' '))
      .join('\n');
    t.match(build, /pnpm .*deploy --prod/, 'production dependencies only (pnpm deploy --prod)');
    t.match(build, /--frozen-lockfile/, 'installs exactly the lockfile');
  });
}

t.test('the worker image carries the model where MODEL_DIR points', async (t) => {
  // Dockerfile syntax, not template literals.
  const model = '$' + '{MODEL}';
  const steps = parseDockerfile('packages/worker/Dockerfile');
  const env = steps.filter((s) => s.op === 'ENV').flatMap((s) => s.args);
  t.ok(env.includes(`MODEL_DIR=/app/models/${model}`));
  const copy = steps.find((s) => s.op === 'COPY' && s.args.includes(`models/${model}/model.onnx`));
  t.equal(copy?.args.at(-1), `models/${model}/`, 'copied under WORKDIR /app');
});
