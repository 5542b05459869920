import { type ChannelModel, connect } from 'amqplib';
import { parseBrokerUrls } from './options.js';
import type { TlsMaterial } from './tls.js';

export interface ConnectAnyOptions {
  /** Shown in the broker's connection list. */
  readonly connectionName: string;
  /** For amqps:// URLs: CA and client certificate; null or undefined: the system's CAs. */
  readonly tls?: TlsMaterial | null | undefined;
  /** Per node. Default 10000. */
  readonly timeoutMs?: number;
}

/**
 * One plain amqplib connection to the first node of `urls` (AMQP_URL: one URL or a comma-separated
 * list) that answers, for the side channels that need no reconnecting pool of their own (the
 * queue-depth probe, jobs). Rejects with the last node's error.
 */
export async function connectAny(urls: string, options: ConnectAnyOptions): Promise<ChannelModel> {
  let lastError: unknown = new Error('no broker URL');
  for (const url of parseBrokerUrls(urls, 'AMQP_URL')) {
    try {
      return await connect(url, {
        // For amqps:// only: amqplib hands these to tls.connect; plain amqp:// ignores them.
        ...(options.tls ?? {}),
        // Without noDelay, Nagle holds small frames back ~40 ms per round trip.
        noDelay: true,
        timeout: options.timeoutMs ?? 10_000,
        clientProperties: { connection_name: options.connectionName },
      });
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
