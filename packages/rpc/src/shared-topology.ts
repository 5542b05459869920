import type { ChannelModel, Options } from 'amqplib';
import { closeChannel } from './connection.js';

// Shared broker objects (the presence and cancel exchanges, the dead-letter and job-results
// queues) are declared by the deployment, as the Topology Operator's Exchange, Queue and Binding
// objects do (k8s-config/rabbitmq/users.yaml). A declare needs `configure` even when the object
// already exists, so each process only checks them, which needs no rights, and declares only what
// is missing: a local broker with full rights, or the first process on a fresh one.

/** Runs `check` on a throwaway channel: true when it passed, false on a 404 (the object is missing). */
async function present(
  model: ChannelModel,
  check: (ch: Awaited<ReturnType<ChannelModel['createChannel']>>) => Promise<unknown>,
): Promise<boolean> {
  const ch = await model.createChannel();
  // A missing object fails the check with a 404 that closes this throwaway channel.
  ch.on('error', () => {});
  try {
    await check(ch);
    await closeChannel(ch);
    return true;
  } catch {
    return false;
  }
}

/** Whether the queue `name` exists (a passive declare, which needs no rights). */
export function queueExists(model: ChannelModel, name: string): Promise<boolean> {
  return present(model, (ch) => ch.checkQueue(name));
}

/** Makes sure the durable fanout exchanges `names` exist. */
export async function ensureFanoutExchanges(
  model: ChannelModel,
  names: readonly string[],
): Promise<void> {
  const checkAll = async (ch: Awaited<ReturnType<ChannelModel['createChannel']>>) => {
    for (const name of names) await ch.checkExchange(name);
  };
  if (await present(model, checkAll)) return;
  const declare = await model.createChannel();
  // A refusal rejects assertExchange below; the channel's own 'error' would otherwise throw.
  declare.on('error', () => {});
  try {
    for (const name of names) await declare.assertExchange(name, 'fanout', { durable: true });
  } finally {
    await closeChannel(declare);
  }
}

/**
 * Makes sure the queue `name` exists; when it has to declare it, also binds it to `bindTo` (a
 * fanout exchange, which must exist). An existing queue is left as it is, bindings included.
 */
export async function ensureQueue(
  model: ChannelModel,
  name: string,
  options: Options.AssertQueue,
  bindTo?: string,
): Promise<void> {
  if (await queueExists(model, name)) return;
  const declare = await model.createChannel();
  declare.on('error', () => {});
  try {
    await declare.assertQueue(name, options);
    if (bindTo !== undefined) await declare.bindQueue(name, bindTo, '');
  } finally {
    await closeChannel(declare);
  }
}
