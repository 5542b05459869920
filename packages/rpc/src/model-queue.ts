import type { ChannelModel } from 'amqplib';
import { closeChannel } from './connection.js';
import type { Logger } from './logger.js';
import { ensureFanoutExchanges, ensureQueue, queueExists } from './shared-topology.js';

/** Where a model queue's dead letters go: one fanout exchange, one durable queue behind it. */
export const DEAD_LETTER_EXCHANGE = 'mlapi.dead';
export const DEAD_LETTER_QUEUE = 'mlapi.dead-letters';
/** How the dead-letter queue is declared when no deployment declared it first. */
export const DEAD_LETTER_QUEUE_OPTIONS = Object.freeze({
  durable: true,
  arguments: { 'x-queue-type': 'quorum' },
});

/** The dead-letter exchange and its queue: checked, or declared and bound when missing. */
export async function ensureDeadLetters(model: ChannelModel): Promise<void> {
  await ensureFanoutExchanges(model, [DEAD_LETTER_EXCHANGE]);
  await ensureQueue(model, DEAD_LETTER_QUEUE, DEAD_LETTER_QUEUE_OPTIONS, DEAD_LETTER_EXCHANGE);
}

export interface QueueBounds {
  /** Messages held at most; beyond it publishes are nacked (reject-publish). */
  maxLength: number;
  /** Deliveries of one message at most; then it is dead-lettered (a poison message). */
  deliveryLimit: number;
}

/** The queue arguments that carry the bounds, written once, when a worker makes the queue. */
export function boundArguments(
  bounds: QueueBounds,
  queueType: 'quorum' | 'classic',
): Record<string, unknown> {
  const args: Record<string, unknown> = {
    'x-max-length': bounds.maxLength,
    'x-overflow': 'reject-publish',
    'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE,
  };
  // Only quorum queues count deliveries.
  if (queueType === 'quorum') args['x-delivery-limit'] = bounds.deliveryLimit;
  return args;
}

/**
 * Declares the dead-letter exchange and queue, then the model queue, a quorum queue unless told
 * otherwise (replicated over the cluster's nodes), with its bounds as arguments. A queue that
 * exists already is only checked (passively): its arguments are never compared again, so a
 * changed bound never fails the declare with PRECONDITION_FAILED, and never reaches that queue
 * either. A live queue's bounds are changed by a broker policy instead
 * (k8s-config/rabbitmq/model-queue-policy.yaml): RabbitMQ applies the lower of the policy's and
 * the argument's max-length and delivery-limit, so a policy can lower them at once; raising one
 * above the argument needs the queue made again.
 */
export async function declareModelQueue(
  model: ChannelModel,
  queue: string,
  bounds: QueueBounds,
  queueType: 'quorum' | 'classic',
  log: Logger,
): Promise<'created' | 'existing'> {
  await ensureDeadLetters(model);
  if (await queueExists(model, queue)) {
    log.debug({ queue }, 'model queue exists; its arguments are left as they are');
    return 'existing';
  }
  const create = await model.createChannel();
  create.on('error', () => undefined);
  try {
    await create.assertQueue(queue, {
      durable: true,
      arguments: { 'x-queue-type': queueType, ...boundArguments(bounds, queueType) },
    });
  } catch (err) {
    // Another worker made it a moment before us, with other bounds: use theirs.
    if (await queueExists(model, queue)) return 'existing';
    throw err;
  } finally {
    await closeChannel(create);
  }
  return 'created';
}
