import { fork } from 'node:child_process';
import type { CellResult, CellSpec, Progress, RunnerMessage, RunnerRequest } from './cell.js';
import { BenchError } from './errors.js';

// After the result, the runner disconnects and exits on its own; this bounds a stuck one.
const EXIT_GRACE_MS = 5000;

/** Runs one cell in a fresh load-generator process and resolves with its result. */
export function runCellInChild(
  cell: CellSpec,
  onProgress: (progress: Progress) => void,
  runnerPath: URL = new URL('./load-runner.js', import.meta.url),
): Promise<CellResult> {
  return new Promise((resolve, reject) => {
    const child = fork(runnerPath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: CellResult | null = null;
    let failure: Error | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    child.on('message', (message: RunnerMessage) => {
      if (message.type === 'progress') onProgress(message.progress);
      else if (message.type === 'result') result = message.result;
      else failure = new BenchError('BENCH_RUNNER', `load generator failed: ${message.message}`);
      if (message.type !== 'progress') {
        killTimer = setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS);
      }
    });
    child.once('error', (err) => {
      failure ??= new BenchError('BENCH_RUNNER', 'could not start the load generator', {
        cause: err,
      });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(killTimer);
      if (result !== null) return resolve(result);
      reject(
        failure ??
          new BenchError(
            'BENCH_RUNNER',
            `load generator exited (${signal ?? code}) with no result`,
          ),
      );
    });
    const request: RunnerRequest = { type: 'run', cell };
    child.send(request);
  });
}
