import { type Parsed, parse, UsageError } from './args.js';

export const HELP = `usage: pnpm mlapi <command>

  keys create --name <n> [--models a,b|*] [--scopes predict,jobs,admin]
              [--rate-limit-per-minute N|none] [--rows-per-day N|none]
              [--rows-per-month N|none] [--expires-at <ISO date>|never] [--disable]
  keys list
  keys show <id>
  keys update <id> [the create options] [--enable|--disable]
  keys revoke <id>
  usage            your own limits and use (GET /v1/usage)
  usage --all      every key's rows today (GET /admin/usage)

environment: MLAPI_URL (default http://127.0.0.1:8080), MLAPI_KEY (the key to call with)`;

export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  out: (line: string) => void;
  err: (line: string) => void;
  fetch: typeof fetch;
}

/** Runs one command through the gateway's HTTP API; resolves to the exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n\n${HELP}`);
      return 2;
    }
    throw err;
  }
  const [group, verb, id] = parsed.positionals;
  const base = (io.env.MLAPI_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const key = io.env.MLAPI_KEY;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await io.fetch(`${base}${path}`, {
      method,
      headers: {
        ...(key !== undefined && key !== '' ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) {
      io.err(`${method} ${path}: ${res.status} ${text}`);
      return { ok: false as const };
    }
    return { ok: true as const, body: text === '' ? null : (JSON.parse(text) as unknown) };
  };
  const show = (value: unknown) => io.out(JSON.stringify(value, null, 2));
  const needId = () => {
    if (id === undefined) throw new UsageError(`keys ${verb} needs a key id`);
    return encodeURIComponent(id);
  };

  try {
    if (group === 'usage') {
      const answer = await call('GET', parsed.all ? '/admin/usage' : '/v1/usage');
      if (answer.ok) show(answer.body);
      return answer.ok ? 0 : 1;
    }
    if (group !== 'keys')
      throw new UsageError(group === undefined ? 'no command' : `unknown command ${group}`);
    switch (verb) {
      case 'create': {
        if (parsed.fields.name === undefined) throw new UsageError('keys create needs --name');
        const answer = await call('POST', '/admin/keys', parsed.fields);
        if (!answer.ok) return 1;
        const created = answer.body as { key: string };
        show(created);
        io.err(`\nThe key above is shown this once; store it now:\n${created.key}`);
        return 0;
      }
      case 'list': {
        const answer = await call('GET', '/admin/keys');
        if (answer.ok) show(answer.body);
        return answer.ok ? 0 : 1;
      }
      case 'show': {
        const answer = await call('GET', `/admin/keys/${needId()}`);
        if (answer.ok) show(answer.body);
        return answer.ok ? 0 : 1;
      }
      case 'update': {
        if (Object.keys(parsed.fields).length === 0)
          throw new UsageError('keys update: nothing to change');
        const answer = await call('PATCH', `/admin/keys/${needId()}`, parsed.fields);
        if (answer.ok) show(answer.body);
        return answer.ok ? 0 : 1;
      }
      case 'revoke': {
        const answer = await call('DELETE', `/admin/keys/${needId()}`);
        if (answer.ok) io.out(`revoked ${id}`);
        return answer.ok ? 0 : 1;
      }
      default:
        throw new UsageError(`unknown keys command ${verb ?? '(none)'}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n\n${HELP}`);
      return 2;
    }
    io.err(`cannot reach ${base}: ${(err as Error).message}`);
    return 1;
  }
}
