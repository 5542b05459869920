import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyRecord } from './key-record.js';
import type { KeyStore } from './key-store.js';

const FILE_NAME = 'api-keys.json';

interface KeyFile {
  version: 1;
  keys: Record<string, KeyRecord>;
}

/** How often a read checks whether another process changed the file. */
const RECHECK_MS = 250;

/**
 * The embedded key store: one JSON file under the state directory, mode 0600, replaced
 * atomically (written aside, fsynced, renamed), so a crash leaves the old file or the new one
 * and never half of one. Reads come from memory, reloaded when the file's mtime moves, so a
 * second gateway on the same directory sees a revocation within a fraction of a second.
 */
export class FileKeyStore implements KeyStore {
  readonly #path: string;
  readonly #dir: string;
  #keys: Record<string, KeyRecord> = {};
  #mtimeMs = -1;
  #checkedAt = 0;
  #writes: Promise<unknown> = Promise.resolve();

  constructor(stateDir: string) {
    this.#dir = stateDir;
    this.#path = join(stateDir, FILE_NAME);
  }

  async get(id: string): Promise<KeyRecord | null> {
    await this.#refresh(false);
    return this.#keys[id] ?? null;
  }

  async list(): Promise<KeyRecord[]> {
    await this.#refresh(false);
    return Object.keys(this.#keys)
      .sort()
      .map((id) => this.#keys[id] as KeyRecord);
  }

  put(record: KeyRecord): Promise<void> {
    return this.#update((keys) => {
      keys[record.id] = record;
      return undefined;
    });
  }

  touch(id: string, at: string): Promise<void> {
    return this.#update((keys) => {
      const record = keys[id];
      if (record !== undefined) keys[id] = { ...record, last_used_at: at };
      return undefined;
    });
  }

  delete(id: string): Promise<boolean> {
    return this.#update((keys) => {
      const had = id in keys;
      delete keys[id];
      return had;
    });
  }

  async close(): Promise<void> {
    await this.#writes.catch(() => {});
  }

  /** Read-modify-write, one at a time, always from the file's latest contents. */
  #update<T>(change: (keys: Record<string, KeyRecord>) => T): Promise<T> {
    const run = this.#writes.then(async () => {
      await this.#refresh(true);
      const keys = { ...this.#keys };
      const result = change(keys);
      await this.#write(keys);
      return result;
    });
    this.#writes = run.catch(() => {});
    return run;
  }

  async #refresh(force: boolean): Promise<void> {
    const now = Date.now();
    if (!force && now - this.#checkedAt < RECHECK_MS) return;
    this.#checkedAt = now;
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(this.#path)).mtimeMs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.#keys = {};
        this.#mtimeMs = -1;
        return;
      }
      throw err;
    }
    if (mtimeMs === this.#mtimeMs && !force) return;
    const parsed = JSON.parse(await readFile(this.#path, 'utf8')) as KeyFile;
    this.#keys = parsed.keys ?? {};
    this.#mtimeMs = mtimeMs;
  }

  async #write(keys: Record<string, KeyRecord>): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const aside = `${this.#path}.${randomBytes(4).toString('hex')}.tmp`;
    const file = await open(aside, 'w', 0o600);
    try {
      const body: KeyFile = { version: 1, keys };
      await file.writeFile(`${JSON.stringify(body, null, 2)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(aside, this.#path);
    this.#keys = keys;
    this.#mtimeMs = (await stat(this.#path)).mtimeMs;
    this.#checkedAt = Date.now();
  }
}
