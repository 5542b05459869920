import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { AmqpConnection } from './connection.js';
import { CONTENT_TYPE, encodeReply, readDeadline } from './envelope.js';
import type { Logger } from './logger.js';
import { resolveLogger } from './logger.js';
import { DEAD_LETTER_QUEUE, ensureDeadLetters } from './model-queue.js';
import { checkObject, connectionSettings, DEFAULT_URL, logger } from './options.js';
import type { TlsMaterial } from './tls.js';

export interface DeadLetterResponderOptions {
  /** Broker URL or comma-separated list of nodes. Default `'amqp://guest:guest@127.0.0.1:5672'`. */
  url?: string;
  logger?: Logger | null;
  /** Default `'mlapi-dead-letters'`. */
  connectionName?: string;
  /** For amqps:// URLs: CA and client certificate (tls.ts). */
  tls?: TlsMaterial;
}

const KEYS = new Set(['url', 'logger', 'connectionName', 'tls']);

/** The wire error a caller gets for a message no worker survived. */
export const POISON_CODE = 'BAD_INPUT';

/**
 * Answers the callers of dead-lettered requests, so a poison message (one that killed its
 * worker on every delivery until the queue's delivery limit) fails at once with a clear error
 * instead of at its deadline. It runs beside the callers (the gateway), not in the workers a
 * poison message kills. Several responders share the dead-letter queue as competing consumers;
 * any of them can answer, since a direct reply-to address works from any channel.
 * Messages dead-lettered for another reason (expired: their caller has given up) are dropped.
 */
export class DeadLetterResponder {
  readonly #log: Logger;
  readonly #conn: AmqpConnection;
  #answered = 0;

  constructor(options: DeadLetterResponderOptions = {}) {
    const o = checkObject('DeadLetterResponder options', options, KEYS);
    this.#log = resolveLogger(logger(o));
    this.#conn = new AmqpConnection(
      connectionSettings(o, {
        url: DEFAULT_URL,
        heartbeatSeconds: 10,
        reconnectInitialDelayMs: 100,
        reconnectMaxDelayMs: 5000,
        connectionName: 'mlapi-dead-letters',
      }),
      this.#log,
    );
  }

  /** Callers answered so far. */
  get answered(): number {
    return this.#answered;
  }

  async start(): Promise<void> {
    await this.#conn.openWith(
      (model) => this.#setup(model),
      (model) => {
        this.#setup(model).catch((err: unknown) =>
          this.#log.warn({ err }, 'dead-letter responder setup failed'),
        );
      },
    );
  }

  async stop(): Promise<void> {
    await this.#conn.close();
  }

  async #setup(model: ChannelModel): Promise<void> {
    await ensureDeadLetters(model);
    const ch = await model.createChannel();
    ch.on('error', (err: Error) => this.#log.warn({ err }, 'dead-letter channel error'));
    await ch.prefetch(64);
    await ch.consume(DEAD_LETTER_QUEUE, (message) => this.#onMessage(ch, message), {
      noAck: false,
    });
  }

  #onMessage(ch: Channel, message: ConsumeMessage | null): void {
    if (message === null) return;
    const { replyTo, correlationId, headers } = message.properties;
    const h = (headers ?? {}) as Record<string, unknown>;
    const reason = String(h['x-first-death-reason'] ?? '');
    const deadline = readDeadline(h);
    const live = deadline === undefined || deadline > Date.now();
    if (
      (reason === 'delivery_limit' || reason === 'rejected') &&
      live &&
      typeof replyTo === 'string' &&
      replyTo !== ''
    ) {
      const queue = String(h['x-first-death-queue'] ?? 'its queue');
      const envelope = encodeReply({
        ok: false,
        error: {
          code: POISON_CODE,
          message:
            `no worker of ${queue} survived this request: it was set aside after its ` +
            'delivery limit, as a poison message',
        },
      });
      try {
        ch.sendToQueue(replyTo, envelope, {
          contentType: CONTENT_TYPE,
          ...(typeof correlationId === 'string' ? { correlationId } : {}),
        });
        this.#answered++;
        this.#log.warn({ queue, messageId: message.properties.messageId }, 'poison message');
      } catch (err) {
        this.#log.debug({ err }, 'dead-letter answer on a closed channel');
        return;
      }
    }
    try {
      ch.ack(message);
    } catch (err) {
      // Redelivered to another responder; the caller may get a second answer, dropped as late.
      this.#log.debug({ err }, 'dead-letter ack on a closed channel');
    }
  }
}
