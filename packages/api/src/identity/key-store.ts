import type { KeyRecord } from './key-record.js';

/**
 * Where keys live: Redis (shared by every replica) or a file under the state directory.
 * Every method may reject when the backend cannot be reached.
 */
export interface KeyStore {
  get(id: string): Promise<KeyRecord | null>;
  list(): Promise<KeyRecord[]>;
  /** Creates or replaces the record. */
  put(record: KeyRecord): Promise<void>;
  /** True when there was such a key. */
  delete(id: string): Promise<boolean>;
  /** Records when a key was last used; callers make it coarse. */
  touch(id: string, at: string): Promise<void>;
  close(): Promise<void>;
}
