import { setTimeout as sleep } from 'node:timers/promises';
import { type JobStore, TERMINAL_STATUSES } from './job-store.js';

export interface EventStreamOptions {
  /** How often the store is asked for new events (shared by every replica, so polled). */
  pollMs: number;
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs: number;
  signal: AbortSignal;
}

/**
 * A job's events as Server-Sent Events from the one after `after`: every event carries its id,
 * so a client reconnecting with Last-Event-ID resumes with no gap and no repeat. Ends after the
 * event that finishes the job, or when the client goes.
 */
export async function* sseEvents(
  store: JobStore,
  jobId: string,
  after: number,
  options: EventStreamOptions,
): AsyncGenerator<string> {
  let last = after;
  let quiet = 0;
  // Tells EventSource how long to wait before reconnecting.
  yield `retry: ${Math.max(options.pollMs, 1000)}\n\n`;
  while (!options.signal.aborted) {
    const events = await store.events(jobId, last);
    for (const ev of events) {
      last = ev.id;
      yield `id: ${ev.id}\nevent: ${ev.event}\ndata: ${JSON.stringify(ev.data)}\n\n`;
      if (ev.event === 'status' && TERMINAL_STATUSES.includes(ev.data.status)) return;
    }
    quiet = events.length > 0 ? 0 : quiet + options.pollMs;
    if (quiet >= options.heartbeatMs) {
      quiet = 0;
      yield ': keep-alive\n\n';
    }
    await sleep(options.pollMs, undefined, { signal: options.signal }).catch(() => {});
  }
}
