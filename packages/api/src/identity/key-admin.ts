import type { ApiKeyScope, ApiKeyView } from '@mlapi/contracts';
import { ApiError } from '../errors.js';
import { generateKey, hashSecret } from './api-key.js';
import type { Authenticator } from './authenticator.js';
import { type KeyRecord, publicView } from './key-record.js';
import type { KeyStore } from './key-store.js';

/** The fields an admin may set; absent ones keep their value (or take the default). */
export interface KeyChanges {
  name?: string;
  models?: string[];
  scopes?: ApiKeyScope[];
  rate_limit_per_minute?: number | null;
  rows_per_day?: number | null;
  rows_per_month?: number | null;
  expires_at?: string | null;
  disabled?: boolean;
}

export interface KeyDefaults {
  rate_limit_per_minute: number | null;
  rows_per_day: number | null;
  rows_per_month: number | null;
}

/** Creating, changing and revoking keys: what the admin API and the CLI (through it) do. */
export class KeyAdmin {
  readonly #store: KeyStore;
  readonly #pepper: string;
  readonly #defaults: KeyDefaults;
  readonly #authenticator: Authenticator | null;
  readonly #now: () => number;

  constructor(options: {
    store: KeyStore;
    pepper: string;
    defaults: KeyDefaults;
    authenticator: Authenticator | null;
    now?: () => number;
  }) {
    this.#store = options.store;
    this.#pepper = options.pepper;
    this.#defaults = options.defaults;
    this.#authenticator = options.authenticator;
    this.#now = options.now ?? Date.now;
  }

  /** A new key; the answer's `key` is the only time the secret is shown. */
  async create(changes: KeyChanges & { name: string }): Promise<ApiKeyView & { key: string }> {
    const { id, secret, key } = generateKey();
    const record: KeyRecord = {
      id,
      name: changes.name,
      models: changes.models ?? ['*'],
      scopes: changes.scopes ?? ['predict'],
      rate_limit_per_minute: pick(
        changes.rate_limit_per_minute,
        this.#defaults.rate_limit_per_minute,
      ),
      rows_per_day: pick(changes.rows_per_day, this.#defaults.rows_per_day),
      rows_per_month: pick(changes.rows_per_month, this.#defaults.rows_per_month),
      expires_at: checkedDate(changes.expires_at ?? null),
      disabled: changes.disabled ?? false,
      created_at: new Date(this.#now()).toISOString(),
      last_used_at: null,
      secret_hash: hashSecret(this.#pepper, secret),
    };
    await this.#store.put(record);
    return { ...publicView(record), key };
  }

  async list(): Promise<ApiKeyView[]> {
    return (await this.#store.list()).map(publicView);
  }

  async get(id: string): Promise<ApiKeyView> {
    return publicView(await this.#record(id));
  }

  async update(id: string, changes: KeyChanges): Promise<ApiKeyView> {
    const current = await this.#record(id);
    const next: KeyRecord = { ...current };
    for (const [field, value] of Object.entries(changes)) {
      if (value !== undefined) (next as unknown as Record<string, unknown>)[field] = value;
    }
    if (changes.expires_at !== undefined) next.expires_at = checkedDate(changes.expires_at);
    await this.#store.put(next);
    this.#authenticator?.forget(id);
    return publicView(next);
  }

  /** Revokes (deletes) a key: every replica refuses it within 2 s. */
  async revoke(id: string): Promise<void> {
    if (!(await this.#store.delete(id))) throw notFound(id);
    this.#authenticator?.forget(id);
  }

  async #record(id: string): Promise<KeyRecord> {
    const record = await this.#store.get(id);
    if (record === null) throw notFound(id);
    return record;
  }
}

function pick(value: number | null | undefined, fallback: number | null): number | null {
  return value === undefined ? fallback : value;
}

function checkedDate(value: string | null): string | null {
  if (value === null) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new ApiError('BAD_INPUT', 'expires_at must be an ISO 8601 date');
  return new Date(ms).toISOString();
}

function notFound(id: string): ApiError {
  return new ApiError('NOT_FOUND', `no key ${id}`);
}
