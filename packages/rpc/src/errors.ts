/** Every code an {@link RpcError} can carry. */
export type RpcErrorCode =
  /** The deadline passed before a reply arrived. */
  | 'RPC_TIMEOUT'
  /** The channel or connection went away, or close() was called. */
  | 'RPC_CLOSED'
  /** basic.return: no queue is bound to that routing key. */
  | 'RPC_NO_ROUTE'
  /** Broker nack: the queue is at x-max-length with reject-publish. */
  | 'RPC_OVERLOADED'
  /** The server replied with an error envelope: see remoteCode and remoteMessage. */
  | 'RPC_REMOTE'
  /** The caller's AbortSignal fired. */
  | 'RPC_ABORTED'
  /** The reply was not a valid envelope. */
  | 'RPC_BAD_REPLY'
  /** Not connected, and no channel could be had in time. */
  | 'RPC_UNAVAILABLE';

export interface RpcErrorOptions {
  cause?: unknown;
  remoteCode?: string;
  remoteMessage?: string;
}

/** The one error class of this library: branch on `code`, never on the message. */
export class RpcError extends Error {
  readonly code: RpcErrorCode;
  readonly remoteCode?: string;
  readonly remoteMessage?: string;

  constructor(code: RpcErrorCode, message: string, options?: RpcErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RpcError';
    this.code = code;
    if (options?.remoteCode !== undefined) this.remoteCode = options.remoteCode;
    if (options?.remoteMessage !== undefined) this.remoteMessage = options.remoteMessage;
  }
}

/**
 * What a handler throws to send a specific wire code (BAD_INPUT, UNKNOWN_MODEL, ...) with a
 * message meant for the caller. Anything else a handler throws goes on the wire as INTERNAL.
 */
export class RemoteError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'RemoteError';
    this.code = code;
  }
}
