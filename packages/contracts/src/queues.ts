import { isModelName } from './names.js';

/** Every model queue (and presence service) starts with this. */
export const MODEL_QUEUE_PREFIX = 'mlapi.';

/**
 * The RPC queue of a model, which is also the presence service its workers announce. Throws a
 * TypeError for a name that fails the pattern: a queue is never built from unchecked input.
 */
export function modelQueue(name: string): string {
  if (!isModelName(name)) throw new TypeError(`not a model name: ${JSON.stringify(name)}`);
  return MODEL_QUEUE_PREFIX + name;
}

/** The model a queue (or presence service) belongs to; undefined for any other name. */
export function modelOfQueue(queue: string): string | undefined {
  if (!queue.startsWith(MODEL_QUEUE_PREFIX)) return undefined;
  const name = queue.slice(MODEL_QUEUE_PREFIX.length);
  return isModelName(name) ? name : undefined;
}
