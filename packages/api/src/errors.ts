import { isWireErrorCode, WIRE_ERROR_CODES, type WireErrorCode } from '@mlapi/contracts';

/** The wire error codes of DESIGN.md (@mlapi/contracts); every component speaks these. */
export type ErrorCode = WireErrorCode;

interface CatalogueEntry {
  readonly status: number;
  /** Seconds for Retry-After; absent: no header. */
  readonly retryAfterSeconds?: number;
}

/** The one table mapping every code to its HTTP status (DESIGN.md, "Error codes"). */
export const ERROR_CATALOGUE: Readonly<Record<ErrorCode, CatalogueEntry>> = Object.freeze({
  BAD_INPUT: { status: 400 },
  UNAUTHENTICATED: { status: 401 },
  FORBIDDEN: { status: 403 },
  UNKNOWN_MODEL: { status: 404 },
  NOT_FOUND: { status: 404 },
  CONFLICT: { status: 409 },
  RATE_LIMITED: { status: 429, retryAfterSeconds: 1 },
  QUOTA_EXCEEDED: { status: 429, retryAfterSeconds: 1 },
  OVERLOADED: { status: 503, retryAfterSeconds: 1 },
  UNAVAILABLE: { status: 503, retryAfterSeconds: 1 },
  TIMEOUT: { status: 504 },
  INTERNAL: { status: 500 },
});

export const ERROR_CODES: readonly ErrorCode[] = WIRE_ERROR_CODES;

/** How @mlapi/rpc's codes read to an HTTP caller. RPC_REMOTE carries its own wire code. */
const RPC_CODES: Readonly<Record<string, ErrorCode>> = Object.freeze({
  RPC_TIMEOUT: 'TIMEOUT',
  RPC_NO_ROUTE: 'UNAVAILABLE',
  RPC_OVERLOADED: 'OVERLOADED',
  RPC_CLOSED: 'UNAVAILABLE',
  RPC_UNAVAILABLE: 'UNAVAILABLE',
  RPC_ABORTED: 'UNAVAILABLE',
  RPC_BAD_REPLY: 'INTERNAL',
});

/**
 * Fastify's own errors for what a caller sent. Each keeps a precise 4xx status but speaks
 * BAD_INPUT, so nothing a caller can send reaches the 5xx branch.
 */
const FASTIFY_CODES: Readonly<Record<string, number>> = Object.freeze({
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 415,
  FST_ERR_CTP_BODY_TOO_LARGE: 413,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 400,
  FST_ERR_CTP_EMPTY_JSON_BODY: 400,
  FST_ERR_CTP_INVALID_JSON_BODY: 400,
  FST_ERR_CTP_INVALID_TYPE: 400,
  FST_ERR_VALIDATION: 400,
});

/** The gateway's one error class: a wire code, its HTTP status, and Retry-After when due. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly retryAfterSeconds: number | undefined;
  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; statusCode?: number; retryAfterSeconds?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    const entry = ERROR_CATALOGUE[code];
    this.statusCode = options.statusCode ?? entry.status;
    this.retryAfterSeconds = options.retryAfterSeconds ?? entry.retryAfterSeconds;
  }
}

interface CodedError {
  code?: unknown;
  statusCode?: unknown;
  remoteCode?: unknown;
  remoteMessage?: unknown;
  message?: unknown;
}

/**
 * Turns any thrown value into an ApiError: ours pass through; @mlapi/rpc errors and Fastify's
 * own errors map by code; bodies parsed wrong are BAD_INPUT; anything else is INTERNAL.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as CodedError;
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : 'internal error';
  if (code === 'RPC_REMOTE') {
    const remote = isWireErrorCode(e.remoteCode) ? e.remoteCode : 'INTERNAL';
    const text = typeof e.remoteMessage === 'string' ? e.remoteMessage : message;
    return new ApiError(remote, remote === 'INTERNAL' ? 'the model worker failed' : text, {
      cause: err,
    });
  }
  const rpc = RPC_CODES[code];
  if (rpc !== undefined) return new ApiError(rpc, rpcMessage(rpc), { cause: err });
  const status = FASTIFY_CODES[code];
  if (status !== undefined)
    return new ApiError('BAD_INPUT', message, { cause: err, statusCode: status });
  // Other Fastify client errors (4xx) are still the caller's doing: keep the status.
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new ApiError('BAD_INPUT', message, { cause: err, statusCode: e.statusCode });
  }
  return new ApiError('INTERNAL', 'internal error', { cause: err });
}

function rpcMessage(code: ErrorCode): string {
  switch (code) {
    case 'TIMEOUT':
      return 'the deadline passed before the model answered';
    case 'OVERLOADED':
      return "the model's queue is full; retry later";
    case 'UNAVAILABLE':
      return 'the model cannot be reached; retry later';
    default:
      return 'internal error';
  }
}

/** The HTTP error body (DESIGN.md): a superset of KServe's `{error}`. */
export interface ErrorBody {
  error: string;
  code: ErrorCode;
  request_id: string;
}
