import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';

/** The header carrying `sha256=<hex HMAC-SHA256 of the raw body under JOB_WEBHOOK_SECRET>`. */
export const SIGNATURE_HEADER = 'x-mlapi-signature';

export interface WebhookOptions {
  /** null: callbacks are sent unsigned. */
  secret: string | null;
  logger: Logger;
  /** Attempts in all, the first included. Default 6. */
  attempts?: number;
  /** First retry delay, doubled each time. Default 500 ms. */
  baseDelayMs?: number;
  /** Per attempt. Default 10 s. */
  timeoutMs?: number;
}

/** The signature a receiver recomputes to check a callback came from us, unaltered. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * POSTs a finished job's status to its callback_url, retrying with exponential backoff on a
 * network error or a non-2xx answer. Delivery happens once per job: the caller sends only after
 * winning the job's terminal transition. Pending retries stop at close().
 */
export class WebhookSender {
  readonly #o: Required<WebhookOptions>;
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(options: WebhookOptions) {
    this.#o = { attempts: 6, baseDelayMs: 500, timeoutMs: 10_000, ...options };
  }

  send(url: string, payload: object): void {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.#o.secret !== null) headers[SIGNATURE_HEADER] = signBody(this.#o.secret, body);
    void this.#attempt(url, body, headers, 1);
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  async #attempt(url: string, body: string, headers: Record<string, string>, n: number) {
    if (this.#closed) return;
    let failure: string;
    try {
      const answer = await fetch(url, {
        method: 'POST',
        body,
        headers,
        signal: AbortSignal.timeout(this.#o.timeoutMs),
        redirect: 'error',
      });
      await answer.body?.cancel();
      if (answer.ok) return;
      failure = `HTTP ${answer.status}`;
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    }
    if (n >= this.#o.attempts) {
      this.#o.logger.warn({ url, attempts: n, failure }, 'job webhook gave up');
      return;
    }
    const timer = setTimeout(
      () => {
        this.#timers.delete(timer);
        void this.#attempt(url, body, headers, n + 1);
      },
      this.#o.baseDelayMs * 2 ** (n - 1),
    );
    this.#timers.add(timer);
  }
}
