import { createHmac, timingSafeEqual } from 'node:crypto';
import { API_KEY_PREFIX } from '@mlapi/contracts';
import { ApiError } from '../errors.js';
import { parseKey, secretMatches } from './api-key.js';
import { type Caller, type KeyRecord, limitsOf } from './key-record.js';
import type { KeyStore } from './key-store.js';

/** A record read this recently is used as is: revocation reaches every replica within 2 s. */
const FRESH_MS = 1000;
/** While the store cannot be reached, a record this old still serves its key. */
const STALE_IF_ERROR_MS = 10 * 60_000;
/** `last_used_at` is written at most this often per key. */
const TOUCH_EVERY_MS = 60_000;
/** Bounds the record cache; beyond it the oldest entries go. */
const MAX_CACHED = 10_000;

export interface AuthenticatorOptions {
  store: KeyStore;
  pepper: string;
  /** The bootstrap admin credential; null: none. */
  adminKey: string | null;
  /** Counts a store call that failed. */
  onStoreError: (err: unknown) => void;
  now?: () => number;
}

interface Cached {
  record: KeyRecord | null;
  readAt: number;
  /** The caller the record makes, built once per read. */
  caller: Caller | null;
  /**
   * The secret last proven against this record's hash, so a key's next requests within
   * FRESH_MS compare bytes instead of computing an HMAC (the largest cost of a keyed request).
   * Held only in this process, only as long as the record it was proven against.
   */
  verified: Buffer | null;
}

/** The bootstrap admin: every scope's door but no model's, no limits. */
const ADMIN_CALLER: Caller = Object.freeze<Caller>({
  keyId: null,
  subject: 'admin',
  models: [],
  scopes: ['admin'],
  limits: { requestsPerMinute: null, rowsPerDay: null, rowsPerMonth: null },
});

/**
 * Turns a credential into a Caller, or throws UNAUTHENTICATED. Records are cached for
 * FRESH_MS; when the store fails, an older record still serves (the failure is counted) and an
 * unknown key is UNAVAILABLE, since it can be neither accepted nor refused.
 */
export class Authenticator {
  readonly #options: AuthenticatorOptions;
  readonly #now: () => number;
  readonly #cache = new Map<string, Cached>();
  readonly #touchedAt = new Map<string, number>();
  readonly #adminDigest: Buffer | null;
  /**
   * Whether the bootstrap key is shaped like a minted one. When it is not (the usual case), a
   * minted key cannot be it, and skipping the comparison saves an HMAC per request; what that
   * skip reveals, the `mlk_` prefix, is public.
   */
  readonly #adminLooksLikeKey: boolean;

  constructor(options: AuthenticatorOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#adminDigest = options.adminKey === null ? null : this.#digest(options.adminKey);
    this.#adminLooksLikeKey = options.adminKey?.startsWith(API_KEY_PREFIX) === true;
  }

  /**
   * The caller, at once when the key's record is cached and fresh (the common case: no promise),
   * else once the record is read. Throws (or rejects with) UNAUTHENTICATED, or UNAVAILABLE when
   * the store cannot say.
   */
  authenticate(credential: string | undefined): Caller | Promise<Caller> {
    if (credential === undefined) {
      throw new ApiError('UNAUTHENTICATED', 'an API key is required');
    }
    if (
      this.#adminDigest !== null &&
      (this.#adminLooksLikeKey || !credential.startsWith(API_KEY_PREFIX)) &&
      timingSafeEqual(this.#digest(credential), this.#adminDigest)
    ) {
      return ADMIN_CALLER;
    }
    const parsed = parseKey(credential);
    if (parsed === null) throw new ApiError('UNAUTHENTICATED', 'not an mlapi API key');
    const cached = this.#cache.get(parsed.id);
    if (cached !== undefined && this.#now() - cached.readAt < FRESH_MS) {
      return this.#callerOf(cached, parsed.secret);
    }
    return this.#read(parsed.id, cached).then((read) => this.#callerOf(read, parsed.secret));
  }

  #callerOf(cached: Cached, secret: string): Caller {
    const record = cached.record;
    if (record === null || !this.#secretMatches(cached, record, secret)) {
      throw new ApiError('UNAUTHENTICATED', 'unknown API key');
    }
    if (record.disabled) throw new ApiError('UNAUTHENTICATED', 'this API key is disabled');
    if (record.expires_at !== null && Date.parse(record.expires_at) <= this.#now()) {
      throw new ApiError('UNAUTHENTICATED', 'this API key has expired');
    }
    this.#touch(record.id);
    cached.caller ??= {
      keyId: record.id,
      subject: `k:${record.id}`,
      models: record.models,
      scopes: record.scopes,
      limits: limitsOf(record),
    };
    return cached.caller;
  }

  /** Forgets a cached record (this replica's own admin changes apply at once). */
  forget(id: string): void {
    this.#cache.delete(id);
  }

  /** Constant time either way: a byte comparison with the proven secret, or the HMAC. */
  #secretMatches(cached: Cached, record: KeyRecord, secret: string): boolean {
    const given = Buffer.from(secret);
    const proven = cached.verified;
    if (proven !== null && proven.length === given.length && timingSafeEqual(proven, given)) {
      return true;
    }
    if (!secretMatches(this.#options.pepper, secret, record.secret_hash)) return false;
    cached.verified = given;
    return true;
  }

  /** Reads a record that is not cached, or not fresh, into the cache. */
  async #read(id: string, cached: Cached | undefined): Promise<Cached> {
    const now = this.#now();
    let record: KeyRecord | null;
    try {
      record = await this.#options.store.get(id);
    } catch (err) {
      this.#options.onStoreError(err);
      if (cached !== undefined && now - cached.readAt < STALE_IF_ERROR_MS) return cached;
      throw new ApiError('UNAVAILABLE', 'the key store cannot be reached; retry later', {
        cause: err,
      });
    }
    this.#cache.delete(id);
    if (this.#cache.size >= MAX_CACHED) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    // Unknown ids are cached too (as null), so a flood of made-up keys costs one read a second.
    // A secret stays proven only while the hash it was proven against is unchanged.
    const verified =
      record !== null && cached?.record?.secret_hash === record.secret_hash
        ? cached.verified
        : null;
    const fresh: Cached = { record, readAt: now, caller: null, verified };
    this.#cache.set(id, fresh);
    return fresh;
  }

  #touch(id: string): void {
    const now = this.#now();
    if (now - (this.#touchedAt.get(id) ?? 0) < TOUCH_EVERY_MS) return;
    if (this.#touchedAt.size >= MAX_CACHED) this.#touchedAt.clear();
    this.#touchedAt.set(id, now);
    const minute = new Date(Math.floor(now / 60_000) * 60_000).toISOString();
    this.#options.store.touch(id, minute).catch((err: unknown) => this.#options.onStoreError(err));
  }

  /** Same-length digests, so the bootstrap key is compared in constant time. */
  #digest(text: string): Buffer {
    return createHmac('sha256', this.#options.pepper).update(text).digest();
  }
}
