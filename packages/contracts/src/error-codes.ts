/**
 * The wire error codes of DESIGN.md ("Error codes"). Workers send them in error envelopes; the
 * gateway maps each to its HTTP status in one table (packages/api/src/errors.ts).
 */
export const WIRE_ERROR_CODES = [
  'BAD_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'UNKNOWN_MODEL',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'QUOTA_EXCEEDED',
  'OVERLOADED',
  'UNAVAILABLE',
  'TIMEOUT',
  'INTERNAL',
] as const;

export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number];

export function isWireErrorCode(value: unknown): value is WireErrorCode {
  return typeof value === 'string' && (WIRE_ERROR_CODES as readonly string[]).includes(value);
}
