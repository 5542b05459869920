import { Counter, type Registry } from 'prom-client';

/** Label values that are not key ids. */
export const NO_KEY = 'none';
export const ANONYMOUS = 'anonymous';
export const OTHER_KEYS = 'other';

/**
 * Requests (by HTTP status, so 401, 403 and 429 show) and rows answered, per key id. The
 * first `maxKeys` ids seen get their own label and later ones share `other`, so a gateway
 * with many keys cannot grow the scrape without bound.
 */
export class KeyMetrics {
  readonly requests: Counter<'key_id' | 'status'>;
  readonly rows: Counter<'key_id'>;
  readonly storeErrors: Counter;
  readonly #labelled = new Set<string>();
  readonly #maxKeys: number;

  constructor(registry: Registry, maxKeys: number) {
    this.#maxKeys = maxKeys;
    const registers = [registry];
    this.requests = new Counter({
      name: 'api_key_requests_total',
      help: 'Requests on limited routes, per API key id and HTTP status (401, 403, 429 included)',
      labelNames: ['key_id', 'status'],
      registers,
    });
    this.rows = new Counter({
      name: 'api_key_rows_total',
      help: 'Rows answered, per API key id',
      labelNames: ['key_id'],
      registers,
    });
    this.storeErrors = new Counter({
      name: 'key_store_errors_total',
      help: 'Key store reads or writes that failed',
      registers,
    });
  }

  /** The label for a key id, within the cap. */
  label(keyId: string): string {
    if (this.#labelled.has(keyId)) return keyId;
    if (this.#labelled.size >= this.#maxKeys) return OTHER_KEYS;
    this.#labelled.add(keyId);
    return keyId;
  }
}
