import { connect } from 'amqplib';

/**
 * Consumers on each model queue, straight from the broker (queue.declare passive). The harness
 * compares them with the workers it started: someone else's worker on `mlapi.fast` would take
 * a share of the load and make the figures meaningless, so the run says so.
 */
export async function queueConsumers(
  amqpUrl: string,
  queues: readonly string[],
): Promise<Record<string, number>> {
  const conn = await connect(amqpUrl, { noDelay: true });
  try {
    const out: Record<string, number> = {};
    for (const queue of queues) {
      // A passive declare of a missing queue closes the channel, so each gets its own.
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      try {
        out[queue] = (await ch.checkQueue(queue)).consumerCount;
        await ch.close();
      } catch {
        out[queue] = 0;
      }
    }
    return out;
  } finally {
    await conn.close();
  }
}
