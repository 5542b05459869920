import type { ChannelModel } from 'amqplib';
import { CHECKED_AMQPLIB_VERSION, installedAmqplibVersion } from './amqplib-version.js';
import type { Logger } from './logger.js';

interface Corkable {
  cork(): void;
  uncork(): void;
}

interface Muxer {
  _readIncoming: () => void;
  out: unknown;
}

export type CoalesceOutcome = 'patched' | 'version-mismatch' | 'internals-missing';

// One warning per process, not one per connection: a mismatch is a deploy fact, not an event.
let warned = false;

/**
 * Makes amqplib write every frame that is ready in one pass with one syscall.
 *
 * amqplib queues each frame group (a publish, a reply, an ack) on its channel's buffer, and its
 * muxer moves them to the socket in one pass per event-loop turn, but with one `socket.write()`,
 * so one `write(2)`, per frame group. Under load that syscall was 10-26% of our processes' CPU,
 * and every small segment also costs the broker a read. Corking the socket for the length of
 * that pass turns the pass into a single `writev(2)`; nothing waits longer than before, since
 * the pass already ran once per turn and uncork() flushes before it returns.
 *
 * This reaches into amqplib internals (`connection.muxer._readIncoming`, whose `out` is the
 * socket), read against amqplib CHECKED_AMQPLIB_VERSION. Any other version, or internals not
 * shaped as expected, leaves the connection unpatched (writes behave as plain amqplib's) and
 * logs one warning per process.
 */
export function coalesceWrites(
  model: ChannelModel,
  log?: Logger,
  version: string | null = installedAmqplibVersion(),
): CoalesceOutcome {
  if (version !== CHECKED_AMQPLIB_VERSION) {
    warnOnce(log, {
      installed: version,
      checked: CHECKED_AMQPLIB_VERSION,
    });
    return 'version-mismatch';
  }
  const connection = (model as { connection?: { muxer?: unknown; stream?: unknown } }).connection;
  const muxer = connection?.muxer as Partial<Muxer> | undefined;
  const readIncoming = muxer?._readIncoming;
  const socket = muxer?.out;
  if (
    muxer === undefined ||
    typeof readIncoming !== 'function' ||
    socket !== connection?.stream ||
    !isCorkable(socket)
  ) {
    warnOnce(log, { installed: version, checked: CHECKED_AMQPLIB_VERSION });
    return 'internals-missing';
  }
  muxer._readIncoming = function coalescedReadIncoming(this: Muxer): void {
    socket.cork();
    try {
      readIncoming.call(this);
    } finally {
      socket.uncork();
    }
  };
  return 'patched';
}

function warnOnce(log: Logger | undefined, fields: object): void {
  if (warned || log === undefined) return;
  warned = true;
  log.warn(
    fields,
    'amqplib is not the version @mlapi/rpc was checked against: write coalescing is off, ' +
      'every frame group costs its own write(2); pin amqplib to the checked version',
  );
}

function isCorkable(value: unknown): value is Corkable {
  if (typeof value !== 'object' || value === null) return false;
  const { cork, uncork } = value as Partial<Corkable>;
  return typeof cork === 'function' && typeof uncork === 'function';
}
