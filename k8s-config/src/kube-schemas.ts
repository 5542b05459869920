import { Ajv } from 'ajv';
import { validate as validateAffinity } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Affinity';
import { validate as validateResources } from 'kubernetes-models/_schemas/IoK8sApiCoreV1ResourceRequirements';
import type { Manifest } from './manifests.js';
import { RABBITMQ_CLUSTER_SCHEMA } from './rabbitmq-cluster-schema.js';
import { TOPOLOGY_SCHEMAS } from './topology-schemas.js';

/** Where each API group's model classes live (kubernetes-models and its CRD packages). */
function modulePath(apiVersion: string): string | undefined {
  if (/^[a-z0-9.]*\/?v\d+((alpha|beta)\d+)?$/.test(apiVersion) === false) return undefined;
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (group === 'keda.sh') return `@kubernetes-models/keda/${apiVersion}`;
  if (group === 'monitoring.coreos.com')
    return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  if (group === '' || group.endsWith('.k8s.io') || !group.includes('.')) {
    return `kubernetes-models/${apiVersion}`;
  }
  return undefined;
}

interface ValidateFn {
  (data: unknown): boolean;
  errors?: { instancePath: string; message?: string; keyword: string; params: unknown }[] | null;
}

function describe(fn: ValidateFn, prefix = ''): string[] {
  return (fn.errors ?? []).map(
    (e) =>
      `${prefix}${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`,
  );
}

let rabbitmqCluster: ValidateFn | undefined;
const topology = new Map<string, ValidateFn>();

/** A Messaging Topology Operator resource (User, Permission, Exchange, Queue, Binding, Policy). */
function checkTopology(kind: string, body: unknown): string[] {
  const schema = TOPOLOGY_SCHEMAS[kind];
  if (schema === undefined) return [`no schema known for rabbitmq.com/v1beta1 ${kind}`];
  let validate = topology.get(kind);
  if (validate === undefined) {
    validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
    topology.set(kind, validate);
  }
  return validate(body) ? [] : describe(validate);
}

function checkRabbitmqCluster(body: unknown): string[] {
  rabbitmqCluster ??= new Ajv({ allErrors: true, strict: true }).compile(RABBITMQ_CLUSTER_SCHEMA);
  const errors = rabbitmqCluster(body) ? [] : describe(rabbitmqCluster);
  // biome-ignore lint/suspicious/noExplicitAny: checked by the schema above.
  const spec = (body as any)?.spec ?? {};
  const resources = validateResources as ValidateFn;
  if (spec.resources !== undefined && !resources(spec.resources)) {
    errors.push(...describe(resources, '/spec/resources'));
  }
  const affinity = validateAffinity as ValidateFn;
  if (spec.affinity !== undefined && !affinity(spec.affinity)) {
    errors.push(...describe(affinity, '/spec/affinity'));
  }
  return errors;
}

/**
 * Validates one manifest against its kind's schema: kubernetes-models for the built-in API and
 * for KEDA and the Prometheus Operator, the RabbitmqCluster schema above for the broker and
 * topology-schemas.ts for its users, permissions, exchanges, queues and policies. Returns
 * the problems found; a kind with no known schema is itself a problem.
 */
export async function validateManifest(m: Manifest): Promise<string[]> {
  if (m.apiVersion === 'rabbitmq.com/v1beta1' && m.kind === 'RabbitmqCluster') {
    return checkRabbitmqCluster(m.body);
  }
  if (m.apiVersion === 'rabbitmq.com/v1beta1') return checkTopology(m.kind, m.body);
  const path = modulePath(m.apiVersion);
  if (path === undefined) return [`no schema known for ${m.apiVersion} ${m.kind}`];
  let models: Record<string, unknown>;
  try {
    models = await import(path);
  } catch {
    return [`no schema known for ${m.apiVersion} (no module ${path})`];
  }
  const Model = models[m.kind] as (new (data: unknown) => { validate(): void }) | undefined;
  if (typeof Model !== 'function') return [`no kind ${m.kind} in ${m.apiVersion}`];
  try {
    new Model(m.body).validate();
    return [];
  } catch (err) {
    return [err instanceof Error ? err.message : String(err)];
  }
}
