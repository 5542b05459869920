import type { TlsMaterial } from '@mlapi/rpc';
import { createClient } from 'redis';
import { withDeadlines } from './redis-deadline.js';

/** Short enough that a stalled Redis costs a request little; long enough for a busy one. */
const COMMAND_TIMEOUT_MS = 250;

/**
 * A node-redis client that never makes a request wait on Redis: commands are rejected while
 * disconnected (no offline queue) and get no answer later than `commandTimeoutMs` (default 250)
 * after they were sent, a stalled Redis included (redis-deadline.ts); it reconnects by itself
 * with backoff. No I/O here: call `connect()`.
 */
export function createRedisClient(
  url: string,
  onError: (err: unknown) => void,
  commandTimeoutMs = COMMAND_TIMEOUT_MS,
  tls: TlsMaterial | null = null,
) {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    // 0, not absent: absent means node-redis's default of 5000 ms, armed only until the command
    // is written and at the cost of an AbortSignal.timeout() each; our deadline replaces it.
    commandOptions: { timeout: 0 },
    socket: {
      connectTimeout: 2000,
      noDelay: true,
      // A rediss:// URL turns TLS on; these add the CA and client certificate from files.
      ...(tls !== null && { tls: true as const, ...tls }),
      reconnectStrategy: (retries) => Math.min(50 * 2 ** Math.min(retries, 6), 2000),
    },
  });
  // Without a listener node-redis would turn every socket error into an uncaught exception.
  client.on('error', onError);
  return withDeadlines(client, commandTimeoutMs);
}

export type RedisClient = ReturnType<typeof createRedisClient>;

/** Closes gracefully when connected; a client still retrying a down Redis is destroyed. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  if (client.isReady) await client.close();
  else client.destroy();
}
