import { parseTrafficPolicy, TRAFFIC_BUCKETS, type TrafficPolicy } from '@mlapi/contracts';
import type { BucketRange } from './allocation.js';

/** A rollback the gateway made on its own (see rollback-guard.ts). */
export interface RollbackEvent {
  readonly version: string;
  readonly at: string;
  readonly error_rate: number;
  readonly stable_version: string;
  readonly stable_error_rate: number;
}

/**
 * What is stored per model: the policy as set, the sticky bucket ranges worked out from it when
 * it was set (so every replica maps a caller to the same version), and a revision for
 * compare-and-set.
 */
export interface TrafficRecord {
  readonly model: string;
  readonly policy: TrafficPolicy;
  readonly buckets: readonly BucketRange[];
  readonly revision: number;
  readonly updated_at: string;
  /** The latest automatic rollbacks, newest last. */
  readonly rollbacks: readonly RollbackEvent[];
}

/** Where traffic policies live: in process, or in Redis to be shared by every replica. */
export interface PolicyStore {
  /** The last known record of a model; synchronous because every request reads it. */
  get(model: string): TrafficRecord | undefined;
  /** Every last known record. */
  all(): TrafficRecord[];
  /**
   * Stores `record` (or deletes the model's record when null) if the stored revision is still
   * `expected` (0: nothing stored). Resolves false when another writer came first.
   * @throws when the store cannot be reached
   */
  compareAndSet(model: string, expected: number, record: TrafficRecord | null): Promise<boolean>;
  /** Re-reads a shared store now (after losing a compare-and-set); absent: nothing to re-read. */
  refresh?(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a stored record back, checking everything a request will rely on: a record another
 * version of the gateway (or a hand edit) wrote must not break routing. null: unusable.
 */
export function parseRecord(model: string, value: unknown): TrafficRecord | null {
  if (!isRecord(value) || value.model !== model) return null;
  let policy: TrafficPolicy;
  try {
    policy = parseTrafficPolicy(value.policy);
  } catch {
    return null;
  }
  const buckets = value.buckets;
  if (!Array.isArray(buckets)) return null;
  let covered = 0;
  for (const r of buckets) {
    if (
      !isRecord(r) ||
      typeof r.version !== 'string' ||
      !Number.isInteger(r.from) ||
      !Number.isInteger(r.to) ||
      (r.from as number) < 0 ||
      (r.to as number) > TRAFFIC_BUCKETS ||
      (r.from as number) >= (r.to as number)
    ) {
      return null;
    }
    covered += (r.to as number) - (r.from as number);
  }
  if (covered !== TRAFFIC_BUCKETS) return null;
  if (!Number.isInteger(value.revision) || (value.revision as number) < 1) return null;
  return {
    model,
    policy,
    buckets: buckets as BucketRange[],
    revision: value.revision as number,
    updated_at: typeof value.updated_at === 'string' ? value.updated_at : '',
    rollbacks: Array.isArray(value.rollbacks) ? (value.rollbacks as RollbackEvent[]) : [],
  };
}
