/** DESIGN.md's model name rule; a queue name is only ever built from a name that passed it. */
export const MODEL_NAME_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
const MODEL_NAME = new RegExp(MODEL_NAME_PATTERN);

export function isModelName(value: string): boolean {
  return MODEL_NAME.test(value);
}

/** The worker's RPC queue (and presence service) for a checked model name. */
export function modelQueue(name: string): string {
  return `mlapi.${name}`;
}
