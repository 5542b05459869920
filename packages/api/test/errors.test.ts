import { readFile } from 'node:fs/promises';
import t from 'tap';
import { ApiError, ERROR_CATALOGUE, ERROR_CODES, toApiError } from '../src/errors.js';

t.test('the catalogue gives DESIGN.md status and Retry-After for every code', async (t) => {
  t.same(Object.fromEntries(ERROR_CODES.map((c) => [c, ERROR_CATALOGUE[c].status])), {
    BAD_INPUT: 400,
    UNAUTHENTICATED: 401,
    FORBIDDEN: 403,
    UNKNOWN_MODEL: 404,
    NOT_FOUND: 404,
    CONFLICT: 409,
    RATE_LIMITED: 429,
    QUOTA_EXCEEDED: 429,
    OVERLOADED: 503,
    UNAVAILABLE: 503,
    TIMEOUT: 504,
    INTERNAL: 500,
  });
  for (const code of ['RATE_LIMITED', 'QUOTA_EXCEEDED', 'OVERLOADED', 'UNAVAILABLE'] as const) {
    t.ok(new ApiError(code, 'x').retryAfterSeconds, `${code} carries Retry-After`);
  }
  t.equal(new ApiError('TIMEOUT', 'x').retryAfterSeconds, undefined);
});

t.test('every code is documented in the README', async (t) => {
  const doc = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
  for (const code of ERROR_CODES) t.match(doc, new RegExp(`\\|\\s*${code}\\s*\\|`), code);
});

function rpcError(code: string, extra: object = {}): Error {
  return Object.assign(new Error('boom'), { code, ...extra });
}

t.test('rpc codes map onto the wire codes', async (t) => {
  const cases: [string, string][] = [
    ['RPC_TIMEOUT', 'TIMEOUT'],
    ['RPC_NO_ROUTE', 'UNAVAILABLE'],
    ['RPC_OVERLOADED', 'OVERLOADED'],
    ['RPC_CLOSED', 'UNAVAILABLE'],
    ['RPC_UNAVAILABLE', 'UNAVAILABLE'],
    ['RPC_BAD_REPLY', 'INTERNAL'],
  ];
  for (const [from, to] of cases) t.equal(toApiError(rpcError(from)).code, to, from);
});

t.test('a remote error keeps its wire code; an unknown remote code is INTERNAL', async (t) => {
  const bad = toApiError(rpcError('RPC_REMOTE', { remoteCode: 'BAD_INPUT', remoteMessage: 'w' }));
  t.equal(bad.code, 'BAD_INPUT');
  t.equal(bad.statusCode, 400);
  t.equal(toApiError(rpcError('RPC_REMOTE', { remoteCode: 'SEGFAULT' })).code, 'INTERNAL');
});

t.test("fastify's client errors stay 4xx BAD_INPUT; anything else is INTERNAL", async (t) => {
  t.equal(toApiError(rpcError('FST_ERR_CTP_BODY_TOO_LARGE')).statusCode, 413);
  t.equal(toApiError(rpcError('FST_ERR_CTP_INVALID_MEDIA_TYPE')).statusCode, 415);
  t.equal(toApiError(Object.assign(new SyntaxError('x'), { statusCode: 400 })).code, 'BAD_INPUT');
  const internal = toApiError(new TypeError('oops'));
  t.equal(internal.code, 'INTERNAL');
  t.equal(internal.statusCode, 500);
  t.equal(toApiError('a string').code, 'INTERNAL');
});
