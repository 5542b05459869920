import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Test } from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDeps } from '../../src/deps.js';
import { type Gateway, unique } from './stack.js';

/** One pino line as written: level number, msg, and whatever was bound or logged. */
export interface LogLine {
  level: number;
  msg?: string;
  request_id?: string;
  code?: string;
  err?: { stack?: string; message?: string };
  [key: string]: unknown;
}

export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/**
 * An in-process gateway on the real broker whose every log line is kept, parsed, in `lines`
 * (the real pino, writing to a stream we read).
 */
export async function startCapturedGateway(
  t: Test,
  env: Record<string, string> = {},
): Promise<Gateway & { lines: LogLine[] }> {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line !== '') lines.push(JSON.parse(line) as LogLine);
      }
      done();
    },
  });
  // No memory guard: in process, the resident set is the test's (see stack.ts, startGateway).
  const config = loadConfig({ LOG_LEVEL: 'debug', PRESSURE_MAX_RSS_MB: '0', ...env });
  const logger = pino({ level: config.logLevel }, sink);
  const connectionName = unique('mlapi-api-test');
  const owned = createDeps(config, logger, connectionName);
  const app = await buildApp(config, { ...owned.deps, logger });
  t.teardown(async () => {
    await app.close();
    await owned.close();
  });
  await owned.start();
  await app.ready();
  return { app, owned, config, connectionName, lines };
}
