import { type Agent, request } from 'node:http';

/**
 * The in-process request loops of the special cells (overload.ts, jobs-bench.ts): plain
 * node:http on one keep-alive agent, replies drained and timed, no process of their own.
 */
export interface Reply {
  status: number;
  ms: number;
}

/** One POST of a JSON body; a socket error or timeout is status 0, never a throw. */
export function post(
  agent: Agent,
  url: URL,
  headers: Readonly<Record<string, string>>,
  body: string,
  timeoutMs: number,
): Promise<Reply> {
  const started = performance.now();
  return new Promise<Reply>((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { ...headers, 'content-type': 'application/json' },
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        res.once('end', () =>
          resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }),
        );
      },
    );
    req.once('error', () => resolve({ status: 0, ms: performance.now() - started }));
    req.once('timeout', () => req.destroy());
    req.end(body);
  });
}

/** `concurrency` callers, each with one request outstanding, until `until` (performance.now()). */
export async function closedLoop(
  concurrency: number,
  until: number | (() => boolean),
  send: () => Promise<Reply>,
  onReply: (reply: Reply) => void,
): Promise<void> {
  const done = typeof until === 'number' ? () => performance.now() >= until : until;
  const caller = async () => {
    while (!done()) onReply(await send());
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
}

/** Requests on schedule at `rate`/s until `until`, whether or not replies came back. */
export async function openLoop(
  rate: number,
  until: number,
  send: () => Promise<Reply>,
  onReply: (reply: Reply) => void,
): Promise<void> {
  const pending: Promise<void>[] = [];
  const start = performance.now();
  let sent = 0;
  while (performance.now() < until) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    for (; sent < due; sent++) pending.push(send().then(onReply));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(pending);
}
