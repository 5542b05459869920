import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ModelRegistry } from './registry.js';

/** The RpcClient's counters, read at scrape time. */
export interface RpcMetricsSource {
  metrics(): object;
}

const MODEL_LABELS = ['model_name', 'model_version'] as const;

/** The gateway's metrics on their own registry (never prom-client's global one). */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly predictions: Counter<'model_name' | 'model_version'>;
  readonly latency: Histogram<'model_name' | 'model_version'>;
  readonly predictionErrors: Counter<'model_name' | 'model_version' | 'error_type'>;
  readonly cacheHits: Counter;
  readonly cacheMisses: Counter;
  readonly cacheErrors: Counter;
  readonly rateLimitStoreErrors: Counter;
  readonly rpcInFlight: Gauge;
  readonly admissionRejections: Counter<'reason'>;
  readonly rpcRetries: Counter;
  readonly rpcMessageRequests: Histogram;
  readonly httpDuration: Histogram<'route' | 'method' | 'status'>;

  constructor(models: ModelRegistry, rpc: RpcMetricsSource | null) {
    const registers = [this.registry];
    this.predictions = new Counter({
      name: 'model_predictions_total',
      help: 'Successful prediction requests, cached or not',
      labelNames: MODEL_LABELS,
      registers,
    });
    this.latency = new Histogram({
      name: 'model_prediction_latency_seconds',
      help: 'Time to answer a successful prediction, cache included',
      labelNames: MODEL_LABELS,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.predictionErrors = new Counter({
      name: 'model_prediction_errors_total',
      help: 'Failed prediction requests by error code',
      labelNames: [...MODEL_LABELS, 'error_type'],
      registers,
    });
    new Gauge({
      name: 'model_loaded',
      help: '1 when the model version has at least one live worker, else 0',
      labelNames: MODEL_LABELS,
      registers,
      collect() {
        this.reset();
        for (const model of models.models()) {
          for (const version of models.versions(model)) {
            const live = models.liveWorkers(model, version);
            this.set({ model_name: model, model_version: version }, live > 0 ? 1 : 0);
          }
        }
      },
    });
    new Gauge({
      name: 'model_live_workers',
      help: 'Live workers announced for the model version',
      labelNames: MODEL_LABELS,
      registers,
      collect() {
        this.reset();
        for (const model of models.models()) {
          for (const version of models.versions(model)) {
            const live = models.liveWorkers(model, version);
            this.set({ model_name: model, model_version: version }, live);
          }
        }
      },
    });
    this.cacheHits = new Counter({
      name: 'cache_hits_total',
      help: 'Prediction cache hits',
      registers,
    });
    this.cacheMisses = new Counter({
      name: 'cache_misses_total',
      help: 'Prediction cache misses',
      registers,
    });
    this.cacheErrors = new Counter({
      name: 'cache_errors_total',
      help: 'Cache reads or writes that failed (served uncached)',
      registers,
    });
    this.rateLimitStoreErrors = new Counter({
      name: 'rate_limit_store_errors_total',
      help: 'Rate-limit store calls that failed (the request was let through)',
      registers,
    });
    this.admissionRejections = new Counter({
      name: 'admission_rejections_total',
      help: 'Requests refused at once with 503 OVERLOADED by admission control, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.rpcRetries = new Counter({
      name: 'rpc_retries_total',
      help: 'Predictions sent again after RPC_CLOSED or RPC_UNAVAILABLE (a broker node or channel lost)',
      registers,
    });
    this.rpcInFlight = new Gauge({
      name: 'rpc_calls_in_flight',
      help: 'Prediction RPCs awaiting a reply',
      registers,
    });
    this.rpcMessageRequests = new Histogram({
      name: 'rpc_message_requests',
      help: 'Prediction requests carried by one broker message (coalescing)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route, method and status',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    if (rpc !== null) {
      new Gauge({
        name: 'rpc_client',
        help: "The RPC client's own counters (inFlight, calls, replies, timeouts, ...)",
        labelNames: ['stat'],
        registers,
        collect() {
          for (const [stat, value] of Object.entries(rpc.metrics())) {
            if (typeof value === 'number') this.set({ stat }, value);
          }
        },
      });
    }
  }
}
