import { Worker } from 'node:worker_threads';

// The ticker thread sleeps with Atomics.wait, which honours fractional milliseconds, then wakes
// the main thread with a message; the main thread wakes at once (an async handle, not a timer).
// Node's own timers run on a 1 ms clock, which would make every send up to 1 ms late, and that
// lateness would be charged to the server in an open-loop measurement.
const TICKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { startMs, intervalMs, total } = workerData;
const cell = new Int32Array(new SharedArrayBuffer(4));
const origin = performance.timeOrigin;
for (let i = 0; i < total; i++) {
  const wait = startMs + i * intervalMs - (origin + performance.now());
  if (wait > 0) Atomics.wait(cell, 0, 0, wait);
  parentPort.postMessage(i);
}
`;

/**
 * Calls `onTick(i)` for i = 0 … total-1 at startMs + i × intervalMs (epoch ms, fractional),
 * from a helper thread. Resolves after the last tick; `stop()` ends it early.
 */
export function preciseTicks(
  startMs: number,
  intervalMs: number,
  total: number,
  onTick: (i: number) => void,
): { done: Promise<void>; stop: () => Promise<number> } {
  const worker = new Worker(TICKER_SOURCE, {
    eval: true,
    workerData: { startMs, intervalMs, total },
  });
  const done = new Promise<void>((resolve, reject) => {
    worker.on('message', (i: number) => {
      onTick(i);
      if (i === total - 1) resolve();
    });
    worker.once('error', reject);
    worker.once('exit', () => resolve());
  });
  return { done, stop: () => worker.terminate() };
}
