/** A snapshot of the client's counters (monotonic) and gauges (current values). */
export interface RpcClientMetrics {
  /** Gauge: calls published and awaiting a reply. */
  inFlight: number;
  /** Gauge: calls not yet published (over maxInFlight, no channel yet, or waiting for drain). */
  waiting: number;
  /** Gauge: open channels in the pool. */
  channels: number;
  /** Calls made. */
  calls: number;
  /** Calls that got a reply envelope (success or remote error). */
  replies: number;
  /** Calls rejected RPC_TIMEOUT. */
  timeouts: number;
  /** Replies that arrived after their call had settled, dropped. */
  lateReplies: number;
  /** Connections re-established after a loss. */
  reconnects: number;
  /** Calls rejected RPC_CLOSED. */
  closedRejections: number;
  /** Calls rejected RPC_NO_ROUTE. */
  noRoute: number;
  /** Calls rejected RPC_OVERLOADED. */
  overloaded: number;
  /** Calls rejected RPC_REMOTE. */
  remoteErrors: number;
  /** Calls rejected RPC_BAD_REPLY. */
  badReplies: number;
  /** Calls rejected RPC_ABORTED. */
  aborted: number;
  /** Calls rejected RPC_UNAVAILABLE. */
  unavailable: number;
  /** Times a channel's publish() returned false and it waited for 'drain'. */
  drainWaits: number;
}

/** A snapshot of the server's counters and gauges. */
export interface RpcServerMetrics {
  /** Messages answered with a success envelope. */
  handled: number;
  /** Messages answered with an error envelope from the handler (not bad input). */
  failed: number;
  /** Messages dropped unhandled because their deadline had passed. */
  expired: number;
  /** Gauge: messages held (buffered or being handled), not yet acked. */
  inFlight: number;
  /** Connections re-established after a loss. */
  reconnects: number;
  /** Messages that were not JSON or not application/json, answered BAD_INPUT. */
  badMessages: number;
  /** handleBatch calls. */
  batches: number;
}
