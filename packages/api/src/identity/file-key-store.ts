import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyRecord } from './key-record.js';
import type { KeyStore } from './key-store.js';

const FILE_NAME = 'api-keys.json';
/**
 * `last_used_at` lives in a file of its own: a gateway touching a key then never rewrites the
 * keys file, so it cannot undo a revocation another process made a moment before.
 */
const USED_FILE_NAME = 'api-keys-used.json';

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
 * Admin writes from two processes at the same instant are not locked against each other: the
 * embedded store is for one gateway (or a few sharing a volume, with one admin); replicas use
 * Redis.
 */
export class FileKeyStore implements KeyStore {
  readonly #path: string;
  readonly #usedPath: string;
  readonly #dir: string;
  #used: Record<string, string> = {};
  #usedWrite: Promise<unknown> = Promise.resolve();
  #keys: Record<string, KeyRecord> = {};
  #mtimeMs = -1;
  #checkedAt = 0;
  #writes: Promise<unknown> = Promise.resolve();

  constructor(stateDir: string) {
    this.#dir = stateDir;
    this.#path = join(stateDir, FILE_NAME);
    this.#usedPath = join(stateDir, USED_FILE_NAME);
  }

  async get(id: string): Promise<KeyRecord | null> {
    await this.#refresh(false);
    const record = this.#keys[id];
    return record === undefined ? null : this.#withUsed(record);
  }

  async list(): Promise<KeyRecord[]> {
    await this.#refresh(false);
    return Object.keys(this.#keys)
      .sort()
      .map((id) => this.#withUsed(this.#keys[id] as KeyRecord));
  }

  put(record: KeyRecord): Promise<void> {
    return this.#update((keys) => {
      keys[record.id] = record;
      return undefined;
    });
  }

  /** This process's own uses, merged over what the file holds; the latest write wins. */
  touch(id: string, at: string): Promise<void> {
    this.#used[id] = at;
    const run = this.#usedWrite.then(async () => {
      let onDisk: Record<string, string> = {};
      try {
        onDisk = JSON.parse(await readFile(this.#usedPath, 'utf8')) as Record<string, string>;
      } catch {
        // Absent or unreadable: this process's own record stands.
      }
      this.#used = { ...onDisk, ...this.#used };
      await this.#atomicWrite(this.#usedPath, this.#used);
    });
    this.#usedWrite = run.catch(() => {});
    return run;
  }

  delete(id: string): Promise<boolean> {
    return this.#update((keys) => {
      const had = id in keys;
      delete keys[id];
      return had;
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.#writes, this.#usedWrite]).catch(() => {});
  }

  #withUsed(record: KeyRecord): KeyRecord {
    const used = this.#used[record.id];
    return used === undefined ? record : { ...record, last_used_at: used };
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
    const body: KeyFile = { version: 1, keys };
    await this.#atomicWrite(this.#path, body);
    this.#keys = keys;
    this.#mtimeMs = (await stat(this.#path)).mtimeMs;
    this.#checkedAt = Date.now();
  }

  /** Written aside, fsynced, renamed over: readers see the old file or the new, never half. */
  async #atomicWrite(path: string, value: unknown): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const aside = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    const file = await open(aside, 'w', 0o600);
    try {
      await file.writeFile(`${JSON.stringify(value, null, 2)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(aside, path);
  }
}
