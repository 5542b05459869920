import { setTimeout as delay } from 'node:timers/promises';

const PROBE_TIMEOUT_MS = 2000;
const POLL_INTERVAL_MS = 200;

export interface JsonReply {
  status: number;
  body: unknown;
}

/** One GET; a refused connection or timeout is status 0, not a throw, since probes retry. */
export async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<JsonReply> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: res.status, body };
  } catch {
    return { status: 0, body: null };
  }
}

/** Polls `check` until it returns true (→ true) or the time runs out (→ false). */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await delay(POLL_INTERVAL_MS);
  }
  return false;
}
