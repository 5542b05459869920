import type { ApiKeyScope, ApiKeyView } from '@mlapi/contracts';

/** A key as stored: its public view plus the secret's HMAC (never the secret). */
export interface KeyRecord extends ApiKeyView {
  secret_hash: string;
}

/** The limits that apply to one caller; null: none. */
export interface CallerLimits {
  readonly requestsPerMinute: number | null;
  readonly rowsPerDay: number | null;
  readonly rowsPerMonth: number | null;
}

/** Who a request is, once identity has looked: a key, or an address when auth is off. */
export interface Caller {
  /** The key id; null for an anonymous (auth off) caller or the bootstrap admin. */
  readonly keyId: string | null;
  /** Whose counters the limits use: `k:<id>` or `ip:<address>`. */
  readonly subject: string;
  readonly models: readonly string[];
  readonly scopes: readonly ApiKeyScope[];
  readonly limits: CallerLimits;
}

/** The admin API's answer for a key: the record without its hash. */
export function publicView(record: KeyRecord): ApiKeyView {
  const { secret_hash: _hash, ...view } = record;
  return view;
}

export function limitsOf(record: ApiKeyView): CallerLimits {
  return {
    requestsPerMinute: record.rate_limit_per_minute,
    rowsPerDay: record.rows_per_day,
    rowsPerMonth: record.rows_per_month,
  };
}

/** Whether the key may call `model`. */
export function allowsModel(models: readonly string[], model: string): boolean {
  return models.includes('*') || models.includes(model);
}
