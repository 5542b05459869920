import {
  parseBrokerUrls,
  readTlsFiles,
  type TlsFiles,
  TlsFilesError,
  type TlsMaterial,
} from '@mlapi/rpc';

// One reader per kind of environment value, each throwing a ConfigError that names the variable:
// the checks loadConfig() (config.ts) composes into the gateway's configuration.

/** Thrown for a bad environment variable; `variable` names it. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

export function present(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const value = raw.trim();
  return value === '' ? undefined : value;
}

export function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(name, `expected an integer in [${min}, ${max}], got ${raw}`);
  }
  return value;
}

export function url(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const raw = present(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'not a valid URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL`);
  }
  return raw;
}

/** One broker URL or a comma-separated list of a cluster's nodes, each checked. */
export function brokerUrls(env: Env, name: string): string | undefined {
  const raw = present(env, name);
  if (raw === undefined) return undefined;
  try {
    return parseBrokerUrls(raw, name).join(',');
  } catch (err) {
    throw new ConfigError(name, (err as Error).message);
  }
}

export function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `expected true/false/1/0, got "${raw}"`);
}

/** A secret from a Secret: 32 characters or more, and never echoed in the error. */
export function secret(env: Env, name: string): string | undefined {
  const raw = present(env, name);
  if (raw === undefined) return undefined;
  if (raw.length < 32) throw new ConfigError(name, 'must be 32 characters or more');
  return raw;
}

/** A signing key: short ones are guessable, so they are refused rather than used. */
export function signingKey(env: Env, name: string): string | null {
  const raw = present(env, name);
  if (raw === undefined) return null;
  if (raw.length < 16) throw new ConfigError(name, 'expected at least 16 characters');
  return raw;
}

/**
 * TLS files for the connection `urlVariable` names: read now, so a wrong path fails at start
 * with the variable's name. Files with a plain amqp:// or redis:// URL are an error, not a
 * silent plaintext connection.
 */
export function tls(
  urlVariable: string,
  url: string | null,
  secureScheme: string,
  files: TlsFiles,
  names: { ca: string; cert: string; key: string },
): TlsMaterial | null {
  if (files.ca === undefined && files.cert === undefined && files.key === undefined) return null;
  // A broker list (a,b,c) is secure only if every node is.
  if (url === null || !url.split(',').every((u) => new URL(u).protocol === secureScheme)) {
    throw new ConfigError(names.ca, `TLS files need a ${secureScheme}// ${urlVariable}`);
  }
  try {
    return readTlsFiles(files, names) ?? null;
  } catch (err) {
    if (!(err instanceof TlsFilesError)) throw err;
    throw new ConfigError(err.subject, err.detail);
  }
}
