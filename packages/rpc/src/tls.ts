import { readFileSync } from 'node:fs';

/**
 * TLS material for an `amqps://` connection (or a `rediss://` one in the gateway): the CA that
 * signed the server's certificate, and an optional client certificate and key for servers that
 * verify clients. Without `ca`, the system's CAs are trusted.
 */
export interface TlsMaterial {
  readonly ca?: Buffer | undefined;
  readonly cert?: Buffer | undefined;
  readonly key?: Buffer | undefined;
}

/** PEM file paths, each optional; `cert` and `key` go together. */
export interface TlsFiles {
  readonly ca?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

export class TlsFilesError extends Error {
  readonly code = 'TLS_FILES_INVALID';
  /** The setting to fix (the name given in `what`). */
  readonly subject: string;
  /** `message` says what is wrong; it is shown after the subject's name. */
  constructor(subject: string, message: string, options?: ErrorOptions) {
    super(`${subject} ${message}`, options);
    this.subject = subject;
    this.detail = message;
  }
  readonly detail: string;
}

/**
 * Reads the PEM files named; undefined when none is. A file that cannot be read, or a
 * certificate without its key (or the reverse), throws TlsFilesError naming `what` (the
 * variable or option) so the operator knows which setting to fix.
 */
export function readTlsFiles(
  files: TlsFiles,
  what: { ca: string; cert: string; key: string },
): TlsMaterial | undefined {
  if ((files.cert === undefined) !== (files.key === undefined)) {
    throw new TlsFilesError(what.cert, `and ${what.key} must be set together`);
  }
  const read = (path: string | undefined, name: string): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      const pem = readFileSync(path);
      if (!pem.includes('-----BEGIN ')) throw new Error('not a PEM file');
      return pem;
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new TlsFilesError(name, `cannot be read: ${path} (${reason})`, { cause });
    }
  };
  const material = {
    ca: read(files.ca, what.ca),
    cert: read(files.cert, what.cert),
    key: read(files.key, what.key),
  };
  if (material.ca === undefined && material.cert === undefined) return undefined;
  return Object.freeze(material);
}

/** Checks an options object's `tls`: undefined, or an object of Buffers/strings under ca, cert, key. */
export function tlsOption(value: unknown): TlsMaterial | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('option "tls" must be an object with ca, cert and key');
  }
  for (const [k, v] of Object.entries(value)) {
    if (!['ca', 'cert', 'key'].includes(k)) throw new TypeError(`unknown option "tls.${k}"`);
    if (v !== undefined && !Buffer.isBuffer(v)) {
      throw new TypeError(`option "tls.${k}" must be a Buffer`);
    }
  }
  return value as TlsMaterial;
}
