// The load generator's own process: forked by the harness, runs one cell, reports progress and
// the result over IPC, and exits. Keeping it apart means the generator never shares an event
// loop (or a CPU profile) with the harness, the gateway or anything else.

import type { CellResult, CellSpec, Progress, RunnerMessage, RunnerRequest } from './cell.js';
import { runClosedLoop } from './closed-loop.js';
import { runOpenLoop } from './open-loop.js';

function send(message: RunnerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

function runCell(cell: CellSpec): Promise<CellResult> {
  const onProgress = (progress: Progress) => void send({ type: 'progress', progress });
  return cell.mode === 'open' ? runOpenLoop(cell, onProgress) : runClosedLoop(cell, onProgress);
}

process.once('message', (message: RunnerRequest) => {
  runCell(message.cell)
    .then((result) => send({ type: 'result', result }))
    .catch((err: unknown) => send({ type: 'error', message: String(err) }))
    .finally(() => process.disconnect?.());
});
