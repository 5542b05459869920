import { Agent, request } from 'node:http';
import type { CellResult, CellSpec, Progress } from './cell.js';
import { LatencyRecorder } from './latency-recorder.js';
import { preciseTicks } from './precise-ticker.js';
import { type RequestSource, requestSource } from './workload.js';

const PROGRESS_INTERVAL_MS = 1000;
const TICKER_LEAD_MS = 50;

interface Tally {
  latency: LatencyRecorder;
  sendLatency: LatencyRecorder;
  ok: number;
  non2xx: number;
  socketErrors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  completed: number;
}

/**
 * Open loop: request i is due at start + i/rate, and is sent then whether or not earlier replies
 * have arrived (up to `connections` sockets, after which Node's agent queues it). Latency is
 * measured from the scheduled time, not the send time, so a stall in the server or in this
 * process counts against every request it delayed: no coordinated omission. Send times come
 * from a helper thread with sub-millisecond precision (see precise-ticker.ts). autocannon's
 * `overallRate` is not used because it sends each second's quota in a burst and measures from
 * the actual send.
 */
export async function runOpenLoop(
  cell: CellSpec,
  onProgress: (progress: Progress) => void,
): Promise<CellResult> {
  const rate = cell.rate;
  if (rate === null) throw new TypeError('an open-loop cell needs a rate');
  const agent = new Agent({ keepAlive: true, maxSockets: cell.connections });
  const next = requestSource(cell.workload, cell.shapes, cell.salt);
  try {
    if (cell.warmupSeconds > 0) {
      await phase(cell, rate, agent, next, cell.warmupSeconds, 'warmup', onProgress);
    }
    const cpuBefore = process.cpuUsage();
    const { tally, elapsedSeconds } = await phase(
      cell,
      rate,
      agent,
      next,
      cell.durationSeconds,
      'measure',
      onProgress,
    );
    const cpu = process.cpuUsage(cpuBefore);
    return {
      scenario: cell.scenario,
      mode: 'open',
      connections: cell.connections,
      rate,
      elapsedSeconds,
      ok: tally.ok,
      non2xx: tally.non2xx,
      socketErrors: tally.socketErrors,
      timeouts: tally.timeouts,
      statusCodes: tally.statusCodes,
      latency: tally.latency.summary(),
      sendLatency: tally.sendLatency.summary(),
      generatorCpuPercent: Math.round((cpu.user + cpu.system) / 1e4 / elapsedSeconds),
    };
  } finally {
    agent.destroy();
  }
}

function phase(
  cell: CellSpec,
  rate: number,
  agent: Agent,
  next: RequestSource,
  seconds: number,
  name: Progress['phase'],
  onProgress: (progress: Progress) => void,
): Promise<{ tally: Tally; elapsedSeconds: number }> {
  const tally: Tally = {
    latency: new LatencyRecorder(),
    sendLatency: new LatencyRecorder(),
    ok: 0,
    non2xx: 0,
    socketErrors: 0,
    timeouts: 0,
    statusCodes: {},
    completed: 0,
  };
  const total = Math.max(1, Math.round(rate * seconds));
  const intervalMs = 1000 / rate;
  const url = new URL(cell.url);
  const headers = { 'content-type': 'application/json', ...cell.headers };
  const start = performance.now() + TICKER_LEAD_MS;

  // A zero-progress report marks the phase's start, so the harness can time the phase itself.
  onProgress({ phase: name, elapsedMs: 0, completed: 0 });
  return new Promise((resolve) => {
    const progress = setInterval(() => {
      const elapsedMs = Math.max(0, performance.now() - start);
      onProgress({ phase: name, elapsedMs, completed: tally.completed });
    }, PROGRESS_INTERVAL_MS);

    const settle = () => {
      if (tally.completed < total) return;
      clearInterval(progress);
      resolve({ tally, elapsedSeconds: (performance.now() - start) / 1000 });
    };

    const send = (scheduledAt: number) => {
      const { path, body, headers: own } = next();
      const sentAt = performance.now();
      let done = false;
      const finish = (outcome: 'ok' | 'non2xx' | 'error' | 'timeout', status?: number) => {
        if (done) return;
        done = true;
        const now = performance.now();
        tally.completed++;
        if (status !== undefined) {
          tally.statusCodes[status] = (tally.statusCodes[status] ?? 0) + 1;
        }
        if (outcome === 'ok') {
          tally.ok++;
          tally.latency.record(now - scheduledAt);
          tally.sendLatency.record(now - sentAt);
        } else if (outcome === 'non2xx') tally.non2xx++;
        else if (outcome === 'timeout') tally.timeouts++;
        else tally.socketErrors++;
        settle();
      };
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path,
          method: 'POST',
          agent,
          headers: { ...headers, ...own, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          res.on('error', () => finish('error'));
          res.on('end', () => finish(status >= 200 && status < 300 ? 'ok' : 'non2xx', status));
          res.resume();
        },
      );
      req.setTimeout(cell.timeoutSeconds * 1000, () => {
        finish('timeout');
        req.destroy();
      });
      req.on('error', () => finish('error'));
      req.end(body);
    };

    // The schedule starts a little ahead, so the ticker thread is up before the first send.
    preciseTicks(performance.timeOrigin + start, intervalMs, total, (i) =>
      send(start + i * intervalMs),
    ).done.catch(() => {
      // The ticker died: count the requests it never sent as errors, so the run still ends.
      tally.socketErrors += total - tally.completed;
      tally.completed = total;
      settle();
    });
  });
}
