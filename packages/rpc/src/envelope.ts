import { RemoteError, RpcError } from './errors.js';

// Wire names fixed by DESIGN.md (envelope version 1).
export const REPLY_TO = 'amq.rabbitmq.reply-to';
export const CONTENT_TYPE = 'application/json';
export const HEADER_DEADLINE = 'x-deadline';
export const HEADER_ENVELOPE = 'x-mlapi-envelope';
export const HEADER_TRACEPARENT = 'traceparent';
export const ENVELOPE_VERSION = 1;

export type ReplyEnvelope<T = unknown> =
  | { ok: true; result: T }
  | { ok: false; error: { code: string; message: string } };

const WIRE_CODE = /^[A-Z][A-Z0-9_]*$/;
const MAX_MESSAGE_LENGTH = 1024;
const INTERNAL_MESSAGE = 'internal error';

/**
 * The wire error for something a handler threw. A RemoteError, or any error carrying an
 * upper-case string `code`, keeps its code and message; Node's own errors (ERR_*, or system
 * errors with a syscall) and everything else become INTERNAL, so no internals leak.
 */
export function toWireError(error: unknown): { code: string; message: string } {
  if (error instanceof RemoteError || isCodedError(error)) {
    const { code, message } = error as { code: string; message: unknown };
    const text = typeof message === 'string' ? message : code;
    return { code, message: text.slice(0, MAX_MESSAGE_LENGTH) };
  }
  return { code: 'INTERNAL', message: INTERNAL_MESSAGE };
}

function isCodedError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code } = error as { code?: unknown };
  return (
    typeof code === 'string' &&
    WIRE_CODE.test(code) &&
    !code.startsWith('ERR_') &&
    !('syscall' in error)
  );
}

/** The reply body: encoded once; a result JSON cannot encode becomes INTERNAL. */
export function encodeReply(envelope: ReplyEnvelope): Buffer {
  try {
    const json = JSON.stringify(envelope);
    if (json !== undefined) return Buffer.from(json);
  } catch {
    // fall through: circular or BigInt result
  }
  return Buffer.from(
    JSON.stringify({ ok: false, error: { code: 'INTERNAL', message: INTERNAL_MESSAGE } }),
  );
}

/** Turns a reply body into the result, or throws the RpcError the caller should see. */
export function decodeReply(content: Buffer): unknown {
  let body: unknown;
  try {
    body = JSON.parse(content.toString('utf8'));
  } catch (cause) {
    throw new RpcError('RPC_BAD_REPLY', 'reply is not JSON', { cause });
  }
  if (typeof body === 'object' && body !== null) {
    const envelope = body as { ok?: unknown; result?: unknown; error?: unknown };
    if (envelope.ok === true) return envelope.result;
    if (envelope.ok === false && typeof envelope.error === 'object' && envelope.error !== null) {
      const { code, message } = envelope.error as { code?: unknown; message?: unknown };
      if (typeof code === 'string') {
        const text = typeof message === 'string' ? message : '';
        throw new RpcError('RPC_REMOTE', `remote error ${code}: ${text}`, {
          remoteCode: code,
          remoteMessage: text,
        });
      }
    }
  }
  throw new RpcError('RPC_BAD_REPLY', 'reply is not an envelope');
}

/** Epoch ms from an x-deadline header, if it holds one. */
export function readDeadline(headers: Record<string, unknown> | undefined): number | undefined {
  const value = headers?.[HEADER_DEADLINE];
  const n = typeof value === 'string' && value !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}
