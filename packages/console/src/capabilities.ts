import { call, raw } from './api.js';
import { storedKey } from './session.js';

export type Scope = 'predict' | 'jobs' | 'admin';

/** Which of the console's route families this gateway serves. */
export interface Routes {
  usage: boolean;
  keys: boolean;
  traffic: boolean;
  jobs: boolean;
  /** GET /v1/jobs lists the caller's jobs (not in the contract; used when a gateway has it). */
  jobsList: boolean;
}

export interface Capabilities {
  routes: Routes;
  /**
   * 'keys': the gateway wants a key (a key was accepted, or a call answered 401); 'open': no
   * sign-in seen to be needed (AUTH=off, or nothing that needs a key was called yet).
   */
  auth: 'open' | 'keys';
  /** A key is stored and the gateway accepted it. */
  signedIn: boolean;
  /** What the key may do (everything when no key is in play). */
  scopes: ReadonlySet<Scope>;
  /** The key's own figures from GET /v1/usage, when signed in. */
  usage: unknown;
}

export const ALL_SCOPES: ReadonlySet<Scope> = new Set(['predict', 'jobs', 'admin']);

interface OpenApiDocument {
  paths?: Record<string, Record<string, unknown>>;
}

/**
 * What this gateway serves, from its own OpenAPI document: one request that always answers 200,
 * where probing each route would leave a 404 (or a 401) in the browser's console for every
 * route a gateway does not have yet. The console then works on a gateway without identity,
 * versions or jobs, and shows their pages as they land.
 */
export async function probeRoutes(): Promise<Routes> {
  const doc = await call<OpenApiDocument>('GET', '/openapi.json');
  const paths = doc.paths ?? {};
  const has = (pattern: RegExp, method: string) =>
    Object.entries(paths).some(([p, ops]) => pattern.test(p) && method in ops);
  return {
    usage: has(/^\/v1\/usage$/, 'get'),
    keys: has(/^\/admin\/keys$/, 'post') && has(/^\/admin\/keys$/, 'get'),
    traffic: has(/^\/admin\/models\/\{[^}]+\}\/traffic$/, 'put'),
    jobs: has(/^\/v1\/jobs$/, 'post'),
    jobsList: has(/^\/v1\/jobs$/, 'get'),
  };
}

/** Asks the gateway about the stored key (when there is one and identity is served). */
export async function probeCapabilities(routes: Routes): Promise<Capabilities> {
  const open: Capabilities = {
    routes,
    auth: 'open',
    signedIn: false,
    scopes: ALL_SCOPES,
    usage: null,
  };
  if (storedKey() === null || !routes.usage) return open;
  const answer = await raw('GET', '/v1/usage');
  if (answer.status !== 200) {
    return { ...open, auth: 'keys', scopes: new Set() };
  }
  return {
    routes,
    auth: 'keys',
    signedIn: true,
    scopes: scopesOf(answer.body) ?? ALL_SCOPES,
    usage: answer.body,
  };
}

/**
 * `scopes` from GET /v1/usage, at the top or under `key`. A gateway that does not say them gets
 * every page shown, and a page the key may not use says so when the gateway answers 403.
 */
function scopesOf(body: unknown): Set<Scope> | null {
  if (typeof body !== 'object' || body === null) return null;
  const record = body as { scopes?: unknown; key?: { scopes?: unknown } };
  const list = Array.isArray(record.scopes) ? record.scopes : record.key?.scopes;
  if (!Array.isArray(list)) return null;
  return new Set(list.filter((s): s is Scope => s === 'predict' || s === 'jobs' || s === 'admin'));
}
