import { parseArgs } from 'node:util';
import { API_KEY_SCOPES, type ApiKeyScope } from '@mlapi/contracts';

/** Thrown for a command line that cannot be run; the message says what to fix. */
export class UsageError extends Error {
  readonly code = 'CLI_USAGE';
}

const KEY_OPTIONS = {
  name: { type: 'string' },
  models: { type: 'string' },
  scopes: { type: 'string' },
  'rate-limit-per-minute': { type: 'string' },
  'rows-per-day': { type: 'string' },
  'rows-per-month': { type: 'string' },
  'expires-at': { type: 'string' },
  disable: { type: 'boolean' },
  enable: { type: 'boolean' },
  all: { type: 'boolean' },
} as const;

export interface Parsed {
  positionals: string[];
  /** The key fields set on the command line, as the admin API names them. */
  fields: Record<string, unknown>;
  all: boolean;
}

/** A limit: a whole number, or `none` for no limit. */
function limit(option: string, raw: string | undefined): number | null | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'none') return null;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${option}: a whole number or "none"`);
  return Number(raw);
}

function list(raw: string | undefined): string[] | undefined {
  return raw === undefined
    ? undefined
    : raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
}

export function parse(argv: string[]): Parsed {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: KEY_OPTIONS,
      allowPositionals: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const str = (name: string) => values[name] as string | undefined;
  const scopes = list(str('scopes'));
  for (const scope of scopes ?? []) {
    if (!API_KEY_SCOPES.includes(scope as ApiKeyScope)) {
      throw new UsageError(`--scopes: ${scope} is not one of ${API_KEY_SCOPES.join(', ')}`);
    }
  }
  if (values.disable === true && values.enable === true) {
    throw new UsageError('--disable and --enable together');
  }
  const fields: Record<string, unknown> = {
    name: str('name'),
    models: list(str('models')),
    scopes,
    rate_limit_per_minute: limit('rate-limit-per-minute', str('rate-limit-per-minute')),
    rows_per_day: limit('rows-per-day', str('rows-per-day')),
    rows_per_month: limit('rows-per-month', str('rows-per-month')),
    expires_at: str('expires-at') === 'never' ? null : str('expires-at'),
    disabled: values.disable === true ? true : values.enable === true ? false : undefined,
  };
  for (const [k, v] of Object.entries(fields)) if (v === undefined) delete fields[k];
  return { positionals, fields, all: values.all === true };
}
