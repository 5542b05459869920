export type { ConnectAnyOptions } from './connect-any.js';
export { connectAny } from './connect-any.js';
export type { DeadLetterResponderOptions } from './dead-letter-responder.js';
export { DeadLetterResponder } from './dead-letter-responder.js';
export type { RpcErrorCode, RpcErrorOptions } from './errors.js';
export { RemoteError, RpcError } from './errors.js';
export type { Logger } from './logger.js';
export type { RpcClientMetrics, RpcServerMetrics } from './metrics.js';
export {
  DEAD_LETTER_EXCHANGE,
  DEAD_LETTER_QUEUE,
  DEAD_LETTER_QUEUE_OPTIONS,
} from './model-queue.js';
export type { RpcClientOptions, RpcServerOptions } from './options.js';
export {
  DEFAULT_CLIENT_OPTIONS,
  DEFAULT_SERVER_OPTIONS,
  normalizeClientOptions,
  normalizeServerOptions,
  parseBrokerUrls,
  redactUrl,
} from './options.js';
export type { PresenceAnnouncement } from './presence.js';
export type { PresencePublisherOptions } from './presence-publisher.js';
export { PresencePublisher } from './presence-publisher.js';
export type { PresenceTrackerOptions } from './presence-tracker.js';
export { PresenceTracker } from './presence-tracker.js';
export type { CallOptions } from './rpc-client.js';
export { RpcClient } from './rpc-client.js';
export type { RpcContext } from './rpc-context.js';
export type { RpcBatchItem, RpcOutcome } from './rpc-server.js';
export { RpcServer } from './rpc-server.js';
export { ensureFanoutExchanges, ensureQueue, queueExists } from './shared-topology.js';
export type { TlsFiles, TlsMaterial } from './tls.js';
export { readTlsFiles, TlsFilesError } from './tls.js';
