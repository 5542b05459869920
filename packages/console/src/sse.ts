import { authHeaders } from './api.js';

export interface ServerEvent {
  event: string;
  data: string;
  id: string | undefined;
}

export interface EventSubscription {
  close(): void;
}

export interface SubscribeOptions {
  onEvent(event: ServerEvent): void;
  /** true while connected, false while waiting to reconnect. */
  onState?(connected: boolean): void;
  /** Stop, without reconnecting, when this returns true after an event (a finished job). */
  done?(event: ServerEvent): boolean;
}

/**
 * Server-Sent Events over fetch rather than EventSource, because EventSource cannot send the
 * Authorization header and the key must not go in the URL. Reconnects with backoff, sending
 * Last-Event-ID so the server resumes where the stream broke.
 */
export function subscribe(url: string, options: SubscribeOptions): EventSubscription {
  const abort = new AbortController();
  let lastId: string | undefined;
  let retryMs = 1000;
  let stopped = false;

  const run = async () => {
    while (!stopped) {
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream', ...authHeaders() };
        if (lastId !== undefined) headers['last-event-id'] = lastId;
        const response = await fetch(url, {
          headers,
          signal: abort.signal,
          cache: 'no-store',
          credentials: 'omit',
        });
        if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`);
        options.onState?.(true);
        retryMs = 1000;
        await read(response.body, (event) => {
          if (event.id !== undefined) lastId = event.id;
          options.onEvent(event);
          if (options.done?.(event) === true) stop();
        });
      } catch {
        // aborted, refused or dropped: retried below unless stopped
      }
      if (stopped) return;
      options.onState?.(false);
      await new Promise((resolve) => setTimeout(resolve, retryMs));
      retryMs = Math.min(retryMs * 2, 15_000);
    }
  };
  const stop = () => {
    stopped = true;
    abort.abort();
  };
  void run();
  return { close: stop };
}

async function read(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: ServerEvent) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.search(/\r?\n\r?\n/);
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      const event = parse(block);
      if (event !== null) onEvent(event);
      end = buffer.search(/\r?\n\r?\n/);
    }
  }
}

function parse(block: string): ServerEvent | null {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  return data.length === 0 ? null : { event, data: data.join('\n'), id };
}
