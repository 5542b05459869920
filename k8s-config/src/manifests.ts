import { parseAllDocuments } from 'yaml';
import { fromRoot, readRepoFile, repoPath, walk } from './repo.js';

/** One Kubernetes object from one YAML document. */
export interface Manifest {
  /** Repo-relative file path. */
  file: string;
  /** Index of the document in its file. */
  doc: number;
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: a manifest is arbitrary YAML; tests narrow it.
  body: any;
}

export class ManifestError extends Error {
  readonly code = 'MANIFEST_INVALID';
}

const isYaml = (name: string): boolean => name.endsWith('.yaml') || name.endsWith('.yml');

/** Every YAML file we deploy: k8s-config/** and models/<name>/k8s/**. */
export function manifestFiles(): string[] {
  const models = walk(repoPath('models'), isYaml).filter((f) => /\/models\/[^/]+\/k8s\//.test(f));
  return [...walk(repoPath('k8s-config'), isYaml), ...models].map(fromRoot);
}

/** Parses every document of `file`; a YAML error or an object without apiVersion/kind throws. */
export function parseManifestFile(file: string): Manifest[] {
  const out: Manifest[] = [];
  parseAllDocuments(readRepoFile(file), { prettyErrors: true }).forEach((document, doc) => {
    if (document.errors.length > 0) {
      throw new ManifestError(
        `${file}#${doc}: ${document.errors.map((e) => e.message).join('; ')}`,
      );
    }
    const body = document.toJS({ maxAliasCount: 0 });
    if (body === null || body === undefined) return; // an empty document (trailing ---)
    const { apiVersion, kind, metadata } = body;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
      throw new ManifestError(`${file}#${doc}: no apiVersion/kind`);
    }
    out.push({
      file,
      doc,
      apiVersion,
      kind,
      name: metadata?.name,
      namespace: metadata?.namespace,
      body,
    });
  });
  return out;
}

export function loadManifests(): Manifest[] {
  return manifestFiles().flatMap(parseManifestFile);
}

export function find(all: Manifest[], kind: string, name: string): Manifest | undefined {
  return all.find((m) => m.kind === kind && m.name === name);
}

/** Workloads with a pod template, and that template's pod spec. */
// biome-ignore lint/suspicious/noExplicitAny: see Manifest.body.
export function podSpecs(all: Manifest[]): { manifest: Manifest; spec: any }[] {
  const workloads = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'];
  return all
    .filter((m) => workloads.includes(m.kind))
    .map((manifest) => ({ manifest, spec: manifest.body.spec?.template?.spec }));
}
