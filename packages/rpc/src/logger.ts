/** Pino-compatible logger. Pass `null` wherever a logger is taken to silence the library. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child?(bindings: object): Logger;
}

const noop = (): void => {};

export const silentLogger: Logger = Object.freeze({
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
});

// The default when no logger is given: problems are visible, chatter is not.
const consoleLogger: Logger = Object.freeze({
  debug: noop,
  info: noop,
  warn: (obj: object, msg?: string) => console.warn('[@mlapi/rpc]', msg ?? '', obj),
  error: (obj: object, msg?: string) => console.error('[@mlapi/rpc]', msg ?? '', obj),
});

/** `undefined` → warn/error on the console, `null` → silent, else the logger given. */
export function resolveLogger(logger: Logger | null | undefined): Logger {
  if (logger === null) return silentLogger;
  return logger ?? consoleLogger;
}

export function childLogger(logger: Logger, bindings: object): Logger {
  return typeof logger.child === 'function' ? logger.child(bindings) : logger;
}
