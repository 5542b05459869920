import type { RpcCaller } from './predictor.js';

/** Codes that mean the message may never have reached a worker: safe to send again. */
const RETRYABLE = new Set(['RPC_CLOSED', 'RPC_UNAVAILABLE']);
/** A retry needs at least this long before the deadline to be worth sending. */
const MIN_REMAINING_MS = 20;
const FIRST_PAUSE_MS = 25;
const MAX_PAUSE_MS = 500;

export interface RetryCounter {
  /** Called once per retry sent. */
  retried(): void;
}

/**
 * Sends a prediction again when it failed with RPC_CLOSED or RPC_UNAVAILABLE (its channel or
 * broker node went), while its deadline allows. Predictions are idempotent, so a worker that
 * answers both copies does no harm: the first reply settles the call, and a reply to a copy that
 * already failed has no pending call left and is dropped by the client (counted `lateReplies`).
 * The client reconnects to another node by itself; a retry waits in its queue for that.
 */
export class RetryingRpc implements RpcCaller {
  readonly #rpc: RpcCaller;
  readonly #counter: RetryCounter | undefined;

  constructor(rpc: RpcCaller, counter?: RetryCounter) {
    this.#rpc = rpc;
    this.#counter = counter;
  }

  async call<TRes = unknown, TReq = unknown>(
    queue: string,
    payload: TReq,
    options?: { deadline?: number; requestId?: string; type?: string },
  ): Promise<TRes> {
    const deadline = options?.deadline;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#rpc.call<TRes, TReq>(queue, payload, options);
      } catch (err) {
        const code = (err as { code?: unknown } | null)?.code;
        if (deadline === undefined || typeof code !== 'string' || !RETRYABLE.has(code)) throw err;
        const pause = Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** attempt);
        if (deadline - Date.now() < pause + MIN_REMAINING_MS) throw err;
        // A short pause: the channel that just closed is being replaced, and a tight loop of
        // failing sends would only burn the deadline.
        await new Promise((resolve) => setTimeout(resolve, pause));
        this.#counter?.retried();
      }
    }
  }
}
