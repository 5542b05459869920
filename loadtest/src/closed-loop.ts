import autocannon from 'autocannon';
import type { CellResult, CellSpec, Progress } from './cell.js';
import { LatencyRecorder } from './latency-recorder.js';
import { requestSource } from './workload.js';

const PROGRESS_INTERVAL_MS = 1000;

interface Phase {
  recorder: LatencyRecorder;
  ok: number;
  statusCodes: Record<string, number>;
  result: autocannon.Result;
  elapsedSeconds: number;
}

/**
 * Closed loop with autocannon: `connections` keep-alive sockets, each sending its next request
 * as soon as the previous reply arrives. Latencies come from autocannon's per-response event
 * (float ms) into our own recorder, because autocannon's histogram has no p95 and rounds to
 * whole milliseconds.
 */
export async function runClosedLoop(
  cell: CellSpec,
  onProgress: (progress: Progress) => void,
): Promise<CellResult> {
  const next = requestSource(cell.workload, cell.shapes, cell.salt);
  if (cell.warmupSeconds > 0) await phase(cell, next, cell.warmupSeconds, 'warmup', onProgress);
  const cpuBefore = process.cpuUsage();
  const measured = await phase(cell, next, cell.durationSeconds, 'measure', onProgress);
  const cpu = process.cpuUsage(cpuBefore);
  const r = measured.result;
  return {
    scenario: cell.scenario,
    mode: 'closed',
    connections: cell.connections,
    rate: null,
    elapsedSeconds: measured.elapsedSeconds,
    ok: measured.ok,
    non2xx: r.non2xx,
    // autocannon counts a timeout as an error too; report them apart.
    socketErrors: r.errors - r.timeouts,
    timeouts: r.timeouts,
    statusCodes: measured.statusCodes,
    latency: measured.recorder.summary(),
    sendLatency: null,
    generatorCpuPercent: Math.round((cpu.user + cpu.system) / 1e4 / measured.elapsedSeconds),
  };
}

function phase(
  cell: CellSpec,
  next: ReturnType<typeof requestSource>,
  seconds: number,
  name: Progress['phase'],
  onProgress: (progress: Progress) => void,
): Promise<Phase> {
  const recorder = new LatencyRecorder();
  let completed = 0;
  let ok = 0;
  const statusCodes: Record<string, number> = {};
  const first = next();
  const fixed = cell.workload.kind === 'fixed';
  const baseHeaders = { 'content-type': 'application/json', ...cell.headers };
  const started = performance.now();
  // A zero-progress report marks the phase's start, so the harness can time the phase itself.
  onProgress({ phase: name, elapsedMs: 0, completed: 0 });
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: cell.url,
        connections: cell.connections,
        duration: seconds,
        timeout: cell.timeoutSeconds,
        method: 'POST',
        headers: baseHeaders,
        // A fixed body is encoded once by autocannon; a varying one is rebuilt per request.
        requests: [
          fixed
            ? { path: first.path, body: first.body }
            : {
                path: first.path,
                setupRequest: (request) => {
                  const out = next();
                  request.path = out.path;
                  request.body = out.body;
                  if (out.headers !== undefined)
                    request.headers = { ...baseHeaders, ...out.headers };
                  return request;
                },
              },
        ],
      },
      (err: unknown, result: autocannon.Result) => {
        clearInterval(timer);
        if (err) return reject(err);
        resolve({
          recorder,
          ok,
          statusCodes,
          result,
          elapsedSeconds: (performance.now() - started) / 1000,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      completed++;
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) {
        ok++;
        recorder.record(responseTime);
      }
    });
    const timer = setInterval(() => {
      onProgress({ phase: name, elapsedMs: performance.now() - started, completed });
    }, PROGRESS_INTERVAL_MS);
  });
}
