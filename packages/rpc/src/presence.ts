/** One presence message on the fanout exchange. */
export interface PresenceAnnouncement<TMeta = unknown> {
  kind: 'announce' | 'goodbye';
  /** The RPC queue the sender serves, e.g. 'mlapi.fast'. */
  service: string;
  /** Random per process. */
  instance: string;
  /** Loaded and consuming. */
  ready: boolean;
  /** The sender's heartbeat interval. */
  intervalMs: number;
  /** Epoch ms at the sender. */
  ts: number;
  meta: TMeta;
}

export const DEFAULT_PRESENCE_EXCHANGE = 'mlapi.presence';
export const DEFAULT_PROBE_EXCHANGE = 'mlapi.presence.probe';

/** The announcement in a message body, or null if it is not one. */
export function parseAnnouncement(content: Buffer): PresenceAnnouncement | null {
  let body: unknown;
  try {
    body = JSON.parse(content.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null) return null;
  const a = body as Record<string, unknown>;
  if (
    (a.kind !== 'announce' && a.kind !== 'goodbye') ||
    typeof a.service !== 'string' ||
    a.service === '' ||
    typeof a.instance !== 'string' ||
    a.instance === '' ||
    typeof a.ready !== 'boolean' ||
    typeof a.intervalMs !== 'number' ||
    !(a.intervalMs > 0) ||
    typeof a.ts !== 'number'
  ) {
    return null;
  }
  return a as unknown as PresenceAnnouncement;
}
