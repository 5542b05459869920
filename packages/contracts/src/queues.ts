import { isModelName, isModelVersion } from './names.js';

/** Every model queue (and presence service) starts with this. */
export const MODEL_QUEUE_PREFIX = 'mlapi.';

/**
 * The RPC queue of one version of a model, `mlapi.<model>.<version>`, which is also the presence
 * service its workers announce. Throws a TypeError for a name or version that fails its pattern:
 * a queue is never built from unchecked input.
 */
export function modelQueue(name: string, version: string): string {
  if (!isModelName(name)) throw new TypeError(`not a model name: ${JSON.stringify(name)}`);
  if (!isModelVersion(version)) {
    throw new TypeError(`not a model version: ${JSON.stringify(version)}`);
  }
  return `${MODEL_QUEUE_PREFIX}${name}.${version}`;
}

/** A (model, version) pair. */
export interface ModelRef {
  readonly model: string;
  readonly version: string;
}

/**
 * The model and version a queue (or presence service) belongs to; undefined for any other name.
 * Unambiguous because a model name has no dot: the first dot after the prefix ends it.
 */
export function modelOfQueue(queue: string): ModelRef | undefined {
  if (!queue.startsWith(MODEL_QUEUE_PREFIX)) return undefined;
  const rest = queue.slice(MODEL_QUEUE_PREFIX.length);
  const dot = rest.indexOf('.');
  if (dot < 0) return undefined;
  const model = rest.slice(0, dot);
  const version = rest.slice(dot + 1);
  return isModelName(model) && isModelVersion(version) ? { model, version } : undefined;
}
