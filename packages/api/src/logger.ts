import { type Logger, pino } from 'pino';
import type { Config } from './config.js';

/** JSON logs; credentials never reach a log line. */
export function createLogger(config: Config): Logger {
  return pino({
    level: config.logLevel,
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        `req.headers["${config.apiKeyHeader}"]`,
        `headers["${config.apiKeyHeader}"]`,
      ],
      censor: '[redacted]',
    },
  });
}
