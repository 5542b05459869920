/**
 * API keys (DESIGN.md, "Identity"): the shapes the gateway, its admin API and the CLI share.
 * A key reads `mlk_<id>_<secret>`; the id is public, the secret is shown once.
 */
export const API_KEY_PREFIX = 'mlk_';

/** A key id: lower-case hex, never an underscore, so the key splits unambiguously. */
export const API_KEY_ID_PATTERN = '^[a-f0-9]{12}$';

/** A whole key: prefix, id, and 64 hex characters (256 random bits) of secret. */
export const API_KEY_PATTERN = '^mlk_[a-f0-9]{12}_[a-f0-9]{64}$';

export const API_KEY_SCOPES = ['predict', 'jobs', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** A key as the admin API answers it: never the secret nor its hash. */
export interface ApiKeyView {
  id: string;
  name: string;
  /** Model names, or `['*']` for every model. */
  models: string[];
  scopes: ApiKeyScope[];
  /** null: no limit. */
  rate_limit_per_minute: number | null;
  rows_per_day: number | null;
  rows_per_month: number | null;
  /** ISO 8601; null: never. */
  expires_at: string | null;
  disabled: boolean;
  created_at: string;
  /** Coarse: updated at most once a minute. */
  last_used_at: string | null;
}

const ID = new RegExp(API_KEY_ID_PATTERN);

export function isApiKeyId(value: unknown): value is string {
  return typeof value === 'string' && ID.test(value);
}
