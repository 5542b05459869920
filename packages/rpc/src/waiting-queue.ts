import type { RpcErrorCode } from './errors.js';
import { MAX_TIMER_MS } from './options.js';
import type { PendingCall } from './pending-call.js';

type Fail = (call: PendingCall, code: RpcErrorCode, message: string) => void;

/**
 * Calls that cannot be published yet (over maxInFlight, no open channel, every channel waiting
 * for 'drain'), oldest first, each under its own deadline. While no channel is open, one timer
 * fails the calls that have waited acquireTimeoutMs with RPC_UNAVAILABLE: a broker that is gone
 * answers fast, not at every caller's deadline.
 */
export class WaitingQueue {
  readonly #acquireTimeoutMs: number;
  readonly #fail: Fail;
  readonly #noChannel: () => boolean;
  readonly #calls = new Set<PendingCall>();
  #unavailableSince = 0;
  #sweepTimer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(acquireTimeoutMs: number, noChannel: () => boolean, fail: Fail) {
    this.#acquireTimeoutMs = acquireTimeoutMs;
    this.#noChannel = noChannel;
    this.#fail = fail;
  }

  get size(): number {
    return this.#calls.size;
  }

  [Symbol.iterator](): IterableIterator<PendingCall> {
    return this.#calls.values();
  }

  add(call: PendingCall, now: number): void {
    call.waitingSince = now;
    this.#calls.add(call);
    if (this.#noChannel()) this.#armSweep();
  }

  delete(call: PendingCall): void {
    this.#calls.delete(call);
  }

  /** The last channel closed: waiting calls get acquireTimeoutMs from now, at most. */
  channelsLost(now: number): void {
    this.#unavailableSince = now;
    if (this.#calls.size > 0) this.#armSweep();
  }

  /** A channel opened: no sweep needed. */
  channelsBack(): void {
    this.stopSweep();
  }

  failAll(code: RpcErrorCode, message: string): void {
    for (const call of this.#calls) this.#fail(call, code, message);
  }

  close(): void {
    this.#closed = true;
    this.stopSweep();
  }

  stopSweep(): void {
    if (this.#sweepTimer !== null) clearTimeout(this.#sweepTimer);
    this.#sweepTimer = null;
  }

  #armSweep(): void {
    if (this.#sweepTimer !== null || this.#closed) return;
    const first = this.#calls.values().next();
    if (first.done === true) return;
    const since = Math.max(first.value.waitingSince, this.#unavailableSince);
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, since + this.#acquireTimeoutMs - Date.now()));
    this.#sweepTimer = setTimeout(() => {
      this.#sweepTimer = null;
      if (!this.#noChannel()) return;
      const now = Date.now();
      for (const call of this.#calls) {
        if (Math.max(call.waitingSince, this.#unavailableSince) + this.#acquireTimeoutMs > now) {
          break;
        }
        this.#fail(call, 'RPC_UNAVAILABLE', 'no channel within acquireTimeoutMs');
      }
      this.#armSweep();
    }, delay);
  }
}
