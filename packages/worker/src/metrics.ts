import type { ModelSpec } from '@mlapi/contracts';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What the RpcServer reports through `metrics()`; read at scrape time. */
export interface RpcServerMetricsSource {
  metrics(): {
    handled: number;
    failed: number;
    expired: number;
    inFlight: number;
    reconnects: number;
    badMessages: number;
  };
}

export interface WorkerMetricsOptions {
  /** Registry to register on. Default: a new one (never prom-client's global registry). */
  registry?: Registry;
  /** Also collect prom-client's default process metrics. Default true. */
  defaultMetrics?: boolean;
}

// Inference on these models takes tens of microseconds to tens of milliseconds per run.
const SECONDS_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];
const SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/**
 * The worker's Prometheus metrics, on a registry of its own. One instance per worker process;
 * the batch predictor updates it and the health port serves `registry.metrics()`.
 */
export class WorkerMetrics {
  readonly registry: Registry;
  readonly loaded: Gauge<'model_name' | 'model_version'>;
  readonly inferenceSeconds: Histogram<'model_name'>;
  readonly batchRows: Histogram<'model_name'>;
  readonly batchMessages: Histogram<'model_name'>;
  readonly requests: Counter<'model_name'>;
  readonly errors: Counter<'model_name' | 'code'>;
  readonly jobRows: Counter<'model_name'>;
  readonly jobChunksSkipped: Counter<'model_name'>;
  readonly #model: string;
  readonly #version: string;

  constructor(spec: ModelSpec, options: WorkerMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    this.#model = spec.name;
    this.#version = spec.version;
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.loaded = new Gauge({
      name: 'model_loaded',
      help: '1 while the model is loaded in this worker',
      labelNames: ['model_name', 'model_version'],
      registers,
    });
    this.loaded.set({ model_name: spec.name, model_version: spec.version }, 0);
    this.inferenceSeconds = new Histogram({
      name: 'model_inference_seconds',
      help: 'Duration of one session.run',
      labelNames: ['model_name'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.batchRows = new Histogram({
      name: 'model_batch_rows',
      help: 'Rows in one session.run',
      labelNames: ['model_name'],
      buckets: SIZE_BUCKETS,
      registers,
    });
    this.batchMessages = new Histogram({
      name: 'model_batch_messages',
      help: 'Requests whose rows went into one batch of inference',
      labelNames: ['model_name'],
      buckets: SIZE_BUCKETS,
      registers,
    });
    this.requests = new Counter({
      name: 'model_requests_total',
      help: 'predict requests received',
      labelNames: ['model_name'],
      registers,
    });
    this.errors = new Counter({
      name: 'model_errors_total',
      help: 'predict requests answered with an error, by wire code',
      labelNames: ['model_name', 'code'],
      registers,
    });
    this.jobRows = new Counter({
      name: 'job_rows_inferred_total',
      help: 'Rows of job chunks inferred',
      labelNames: ['model_name'],
      registers,
    });
    this.jobChunksSkipped = new Counter({
      name: 'job_chunks_skipped_total',
      help: 'Job chunks acked without inference because their job was cancelled',
      labelNames: ['model_name'],
      registers,
    });
  }

  countJobRows(rows: number): void {
    this.jobRows.inc({ model_name: this.#model }, rows);
  }

  countJobChunkSkipped(): void {
    this.jobChunksSkipped.inc({ model_name: this.#model });
  }

  setLoaded(loaded: boolean): void {
    this.loaded.set({ model_name: this.#model, model_version: this.#version }, loaded ? 1 : 0);
  }

  observeRun(seconds: number, rows: number): void {
    this.inferenceSeconds.observe({ model_name: this.#model }, seconds);
    this.batchRows.observe({ model_name: this.#model }, rows);
  }

  observeBatch(messages: number): void {
    this.batchMessages.observe({ model_name: this.#model }, messages);
  }

  countRequests(n: number): void {
    this.requests.inc({ model_name: this.#model }, n);
  }

  countError(code: string): void {
    this.errors.inc({ model_name: this.#model, code });
  }

  /** Exposes the RpcServer's own counters, read when Prometheus scrapes. */
  bindRpcServer(server: RpcServerMetricsSource): void {
    const registers = [this.registry];
    const counter = (name: string, help: string, read: () => number): void => {
      new Counter({
        name,
        help,
        registers,
        collect() {
          // The source is cumulative; reset-then-inc mirrors it without tracking deltas.
          this.reset();
          this.inc(read());
        },
      });
    };
    counter(
      'rpc_server_handled_total',
      'Messages answered successfully',
      () => server.metrics().handled,
    );
    counter(
      'rpc_server_failed_total',
      'Messages answered with an error',
      () => server.metrics().failed,
    );
    counter(
      'rpc_server_expired_total',
      'Messages dropped past their deadline',
      () => server.metrics().expired,
    );
    counter(
      'rpc_server_bad_messages_total',
      'Messages that were not valid JSON requests',
      () => server.metrics().badMessages,
    );
    counter(
      'rpc_server_reconnects_total',
      'Broker reconnections',
      () => server.metrics().reconnects,
    );
    new Gauge({
      name: 'rpc_server_in_flight',
      help: 'Messages taken from the queue and not yet acked',
      registers,
      collect() {
        this.set(server.metrics().inFlight);
      },
    });
  }
}
