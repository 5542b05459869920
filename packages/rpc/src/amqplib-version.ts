import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The amqplib release whose private internals `coalesceWrites()` was read against and tested on.
 * package.json pins amqplib to exactly this; a different one (an override, a hoisted copy) gets
 * the plain write path and a warning, never a patch of code we have not read.
 */
export const CHECKED_AMQPLIB_VERSION = '2.3.1';

let installed: string | null | undefined;

/** The version of the amqplib this package resolves, or null if it cannot be read. */
export function installedAmqplibVersion(): string | null {
  if (installed !== undefined) return installed;
  try {
    // amqplib's exports map hides its package.json; its main file sits beside it.
    const main = createRequire(import.meta.url).resolve('amqplib');
    const pkg = JSON.parse(readFileSync(join(dirname(main), 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    installed = typeof pkg.version === 'string' ? pkg.version : null;
  } catch {
    installed = null;
  }
  return installed;
}
