import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { modelQueue } from '@mlapi/contracts';
import { PresencePublisher } from '@mlapi/rpc';
import { type Channel, type ChannelModel, type ConsumeMessage, connect } from 'amqplib';
import type { Test } from 'tap';
import { AMQP_URL, ROOT, unique } from './stack.js';

/** What the spy does with a message, chosen by the first value of its first row. */
export const HOLD = 999; // never answer (the caller's deadline passes)
export const FAIL = 666; // answer with a remote INTERNAL error

export interface SpyMessage {
  readonly messageId: string | undefined;
  readonly correlationId: string | undefined;
  readonly rows: number[][];
}

export interface SpyWorker {
  /** The model name the spy announces (a copy of `fast`'s manifest under a unique name). */
  readonly name: string;
  /** Every message taken from the model's queue, in arrival order. */
  readonly seen: SpyMessage[];
}

/**
 * A stand-in for a model worker on the real broker, for what a real worker cannot be made to do
 * on demand (answer INTERNAL, hold a message) and to read the AMQP properties exactly as a
 * worker receives them. It announces itself with @mlapi/rpc's PresencePublisher like the real
 * worker, consumes `mlapi.<name>.<version>` with amqplib, and answers in the wire envelope. With
 * `queueMaxLength: 0` it declares the queue that way and consumes nothing: every publish is
 * refused (OVERLOADED) while the model still counts as live.
 */
export async function startSpyWorker(
  t: Test,
  options: { queueMaxLength?: number } = {},
): Promise<SpyWorker> {
  const manifest = JSON.parse(await readFile(join(ROOT, 'models', 'fast', 'model.json'), 'utf8'));
  const name = unique('t-spy');
  const queue = modelQueue(name, String(manifest.version));
  const seen: SpyMessage[] = [];
  const conn: ChannelModel = await connect(AMQP_URL, { noDelay: true });
  const channel: Channel = await conn.createChannel();
  await channel.assertQueue(queue, {
    durable: false,
    autoDelete: false,
    arguments: {
      'x-max-length': options.queueMaxLength ?? 10_000,
      'x-overflow': 'reject-publish',
    },
  });
  if (options.queueMaxLength !== 0) {
    await channel.consume(queue, (msg: ConsumeMessage | null) => {
      if (msg === null) return;
      const rows = (JSON.parse(msg.content.toString()) as { inputs: number[][] }).inputs;
      seen.push({
        messageId: msg.properties.messageId as string | undefined,
        correlationId: msg.properties.correlationId as string | undefined,
        rows,
      });
      const first = rows[0]?.[0];
      if (first !== HOLD) {
        const envelope =
          first === FAIL
            ? { ok: false, error: { code: 'INTERNAL', message: 'spy failure' } }
            : {
                ok: true,
                result: {
                  model_name: name,
                  model_version: String(manifest.version),
                  predictions: rows.map(() => 0),
                  probabilities: rows.map(() => [1, 0, 0]),
                  labels: rows.map(() => 'setosa'),
                },
              };
        channel.sendToQueue(msg.properties.replyTo, Buffer.from(JSON.stringify(envelope)), {
          correlationId: msg.properties.correlationId,
          contentType: 'application/json',
        });
      }
      channel.ack(msg);
    });
  }
  const presence = new PresencePublisher({
    url: AMQP_URL,
    service: queue,
    meta: () => ({ manifest: { ...manifest, name } }),
    ready: () => true,
    logger: null,
    connectionName: unique('spy-presence'),
  });
  await presence.start();
  t.teardown(async () => {
    await presence.stop();
    await channel.deleteQueue(queue);
    await conn.close();
  });
  return { name, seen };
}
