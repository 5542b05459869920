/**
 * DESIGN.md's name rules. Queue names are built only from names that passed these checks, so
 * nothing a caller sends can address a queue it should not.
 */
export const MODEL_NAME_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
/** A model version (DESIGN.md, "Versions"). */
export const MODEL_VERSION_PATTERN = '^[a-z0-9][a-z0-9._-]{0,31}$';

const MODEL_NAME = new RegExp(MODEL_NAME_PATTERN);
const MODEL_VERSION = new RegExp(MODEL_VERSION_PATTERN);

export function isModelName(value: unknown): value is string {
  return typeof value === 'string' && MODEL_NAME.test(value);
}

export function isModelVersion(value: unknown): value is string {
  return typeof value === 'string' && MODEL_VERSION.test(value);
}
