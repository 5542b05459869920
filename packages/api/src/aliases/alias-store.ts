import { isModelName, isModelVersion } from '@mlapi/contracts';

/** An alias set through the admin API: it names a model, or a model at one version. */
export interface AliasRecord {
  readonly alias: string;
  readonly model: string;
  /** null: whichever version the model's traffic policy picks. */
  readonly version: string | null;
  readonly updated_at: string;
}

/** Where run-time aliases live: in process, or in Redis to be shared by every replica. */
export interface AliasStore {
  /** The last known record of an alias; synchronous because requests read it. */
  get(alias: string): AliasRecord | undefined;
  all(): AliasRecord[];
  /** Stores `record`, or deletes the alias when null. @throws when the store cannot be reached */
  set(alias: string, record: AliasRecord | null): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Reads a stored record back; null when a hand edit or another gateway version made it unusable. */
export function parseAliasRecord(alias: string, value: unknown): AliasRecord | null {
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Record<string, unknown>;
  if (r.alias !== alias || !isModelName(alias) || !isModelName(r.model)) return null;
  if (r.version !== null && !isModelVersion(r.version)) return null;
  return {
    alias,
    model: r.model,
    version: r.version,
    updated_at: typeof r.updated_at === 'string' ? r.updated_at : '',
  };
}

/** Aliases in this process only: the default without Redis. */
export class MemoryAliasStore implements AliasStore {
  readonly #records = new Map<string, AliasRecord>();

  get(alias: string): AliasRecord | undefined {
    return this.#records.get(alias);
  }

  all(): AliasRecord[] {
    return [...this.#records.values()];
  }

  async set(alias: string, record: AliasRecord | null): Promise<void> {
    if (record === null) this.#records.delete(alias);
    else this.#records.set(alias, record);
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {}
}
