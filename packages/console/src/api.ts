import { storedKey } from './session.js';

/** An answer other than 2xx, with the gateway's error code when it sent one. */
export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  constructor(status: number, code: string, message: string, requestId?: string) {
    super(message);
    this.name = 'ApiProblem';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

export interface RequestOptions {
  body?: unknown;
  accept?: string;
  signal?: AbortSignal;
  /** Without the stored key even when there is one (the probes that ask "does auth apply?"). */
  anonymous?: boolean;
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

/** The headers every call carries: the key when there is one, in the Authorization header. */
export function authHeaders(anonymous = false): Record<string, string> {
  const key = anonymous ? null : storedKey();
  return key === null ? {} : { authorization: `Bearer ${key}` };
}

const unauthenticatedListeners = new Set<() => void>();

/** Called whenever the gateway answers 401: the app then asks for a (new) key. */
export function onUnauthenticated(listener: () => void): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

/** Any status; the body parsed as JSON when it is JSON. Network failures throw. */
export async function raw(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<RawAnswer> {
  const headers: Record<string, string> = {
    accept: options.accept ?? 'application/json',
    ...authHeaders(options.anonymous),
  };
  const init: RequestInit = { method, headers, credentials: 'omit', cache: 'no-store' };
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  if (options.signal !== undefined) init.signal = options.signal;
  const response = await fetch(path, init);
  if (response.status === 401) for (const listener of unauthenticatedListeners) listener();
  const type = response.headers.get('content-type') ?? '';
  const body: unknown = type.includes('application/json')
    ? await response.json().catch(() => null)
    : await response.text();
  return { status: response.status, headers: response.headers, body };
}

/** The JSON body of a 2xx answer; anything else throws an {@link ApiProblem}. */
export async function call<T>(method: string, path: string, options?: RequestOptions): Promise<T> {
  const answer = await raw(method, path, options);
  if (answer.status >= 200 && answer.status < 300) return answer.body as T;
  throw problemOf(answer);
}

export function problemOf(answer: RawAnswer): ApiProblem {
  const body = answer.body as { error?: unknown; code?: unknown; request_id?: unknown } | null;
  const message =
    typeof body?.error === 'string' ? body.error : `the gateway answered ${answer.status}`;
  const code = typeof body?.code === 'string' ? body.code : `HTTP_${answer.status}`;
  const requestId = typeof body?.request_id === 'string' ? body.request_id : undefined;
  return new ApiProblem(answer.status, code, message, requestId);
}

/** A message for a person: the gateway's own words, and its request id to quote. */
export function describe(err: unknown): string {
  if (err instanceof ApiProblem) {
    const id = err.requestId === undefined ? '' : ` (request ${err.requestId})`;
    return `${err.code}: ${err.message}${id}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Path segments are always encoded: a name never changes the route it is put in. */
export function path(strings: TemplateStringsArray, ...parts: string[]): string {
  return strings.reduce(
    (out, s, i) => out + s + (i < parts.length ? encodeURIComponent(parts[i] as string) : ''),
    '',
  );
}
