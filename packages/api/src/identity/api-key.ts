import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { API_KEY_PREFIX, isApiKeyId } from '@mlapi/contracts';

/** A key split into its public id and its secret; the secret never leaves this process. */
export interface ParsedKey {
  readonly id: string;
  readonly secret: string;
}

const SECRET = /^[a-f0-9]{64}$/;

/** A new key: 48 random bits of id, 256 random bits of secret. */
export function generateKey(): ParsedKey & { readonly key: string } {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('hex');
  return { id, secret, key: `${API_KEY_PREFIX}${id}_${secret}` };
}

/** `mlk_<id>_<secret>` split, or null when the text is not shaped as a key. */
export function parseKey(text: string): ParsedKey | null {
  if (!text.startsWith(API_KEY_PREFIX)) return null;
  const rest = text.slice(API_KEY_PREFIX.length);
  const split = rest.indexOf('_');
  if (split < 0) return null;
  const id = rest.slice(0, split);
  const secret = rest.slice(split + 1);
  return isApiKeyId(id) && SECRET.test(secret) ? { id, secret } : null;
}

/** What is stored in place of a secret: HMAC-SHA256 under the pepper, hex. */
export function hashSecret(pepper: string, secret: string): string {
  return createHmac('sha256', pepper).update(secret).digest('hex');
}

/** Compares a secret with a stored hash in constant time (both are 32-byte digests). */
export function secretMatches(pepper: string, secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashSecret(pepper, secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === given.length && timingSafeEqual(given, stored);
}

/**
 * The credential of a request: `Authorization: Bearer <key>` first, else the key header.
 * Undefined when neither is sent.
 */
export function credentialOf(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  keyHeader: string,
): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(auth);
    if (match?.[1] !== undefined) return match[1];
  }
  const header = headers[keyHeader];
  return typeof header === 'string' && header.length > 0 ? header.trim() : undefined;
}
