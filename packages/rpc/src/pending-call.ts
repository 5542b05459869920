import type { ReplyChannel } from './reply-channel.js';

export const WAITING = 0;
export const PUBLISHED = 1;
export const SETTLED = 2;

/**
 * One call from call() until it settles. A class, not an object literal, so every call has the
 * same hidden class and the hot path stays monomorphic.
 */
export class PendingCall {
  state = WAITING;
  correlationId = '';
  channel: ReplyChannel | null = null;
  timer: NodeJS.Timeout | null = null;
  onAbort: (() => void) | null = null;
  waitingSince = 0;
  resolve: (value: unknown) => void = noop;
  reject: (reason: unknown) => void = noop;

  constructor(
    readonly queue: string,
    public body: Buffer | null,
    readonly deadline: number,
    readonly requestId: string,
    readonly type: string,
    readonly headers: Record<string, unknown>,
    readonly signal: AbortSignal | undefined,
  ) {}
}

function noop(): void {}
