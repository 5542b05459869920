import type { ChannelModel } from 'amqplib';
import { closeChannel } from './connection.js';

/**
 * Makes sure the presence exchanges exist. When they already do (declared by the deployment, as
 * the Topology Operator's Exchange objects do), it only checks them, which needs no broker
 * rights, so no role needs `configure` on them. Only when one is missing is it declared, which
 * does need `configure` (a local broker with full rights, or the first process on a fresh one).
 */
export async function ensurePresenceExchanges(
  model: ChannelModel,
  names: readonly string[],
): Promise<void> {
  const check = await model.createChannel();
  // A missing exchange fails the check with a 404 that closes this throwaway channel.
  check.on('error', () => {});
  try {
    for (const name of names) await check.checkExchange(name);
    await closeChannel(check);
    return;
  } catch {
    // Missing: fall through and declare it.
  }
  const declare = await model.createChannel();
  // A refusal rejects assertExchange below; the channel's own 'error' would otherwise throw.
  declare.on('error', () => {});
  try {
    for (const name of names) await declare.assertExchange(name, 'fanout', { durable: true });
  } finally {
    await closeChannel(declare);
  }
}
