import { modelQueue, type PredictResult } from '@mlapi/contracts';
import {
  type RpcBatchItem,
  type RpcContext,
  type RpcOutcome,
  RpcServer,
  type RpcServerOptions,
} from '@mlapi/rpc';
import type { Tracer } from '@opentelemetry/api';
import { BatchPredictor, type InferenceModel } from './batch-predictor.js';
import { InteractiveGate } from './interactive-gate.js';
import type { WorkerMetrics } from './metrics.js';

export interface ModelWorkerOptions extends Omit<RpcServerOptions, 'queue' | 'maxBatch'> {
  /** The loaded model (see `loadModel`). */
  model: InferenceModel;
  /** Queue to consume. Default `mlapi.<manifest name>.<manifest version>`; tests pass a unique one. */
  queue?: string;
  /** Messages taken per batch (BATCH_MAX_MESSAGES); 1 turns batching off. Default 64. */
  batchMaxMessages?: number;
  /** Rows in one session.run (BATCH_MAX_ROWS). Default 256. */
  batchMaxRows?: number;
  /** Rows one request may carry (MAX_ROWS_PER_REQUEST). Default 1024. */
  maxRowsPerRequest?: number;
  /** Where inference metrics go; null records none. Default null. */
  metrics?: WorkerMetrics | null;
  /** Traces batches of traced messages; null (the default): off. */
  tracer?: Tracer | null;
}

export const DEFAULT_OPTIONS = Object.freeze({
  batchMaxMessages: 64,
  batchMaxRows: 256,
  maxRowsPerRequest: 1024,
  metrics: null,
  tracer: null,
});

interface Normalized {
  server: RpcServerOptions;
  model: InferenceModel;
  batchMaxRows: number;
  maxRowsPerRequest: number;
  metrics: WorkerMetrics | null;
  tracer: Tracer | null;
}

/**
 * Splits the options into the RpcServer's (checked by it) and the predictor's (checked by
 * BatchPredictor), checking what is the worker's own: the model, the queue and the batch size.
 */
export function normalizeOptions(options: ModelWorkerOptions): Normalized {
  const {
    model,
    queue,
    batchMaxMessages,
    batchMaxRows,
    maxRowsPerRequest,
    metrics,
    tracer,
    ...server
  } = {
    ...DEFAULT_OPTIONS,
    ...options,
  };
  if (typeof model?.run !== 'function' || typeof model.spec?.name !== 'string') {
    throw new TypeError('option "model" must be a loaded model (see loadModel)');
  }
  if (queue !== undefined && (typeof queue !== 'string' || queue === '')) {
    throw new TypeError('option "queue" must be a non-empty string');
  }
  if (!Number.isInteger(batchMaxMessages) || batchMaxMessages < 1) {
    throw new TypeError('option "batchMaxMessages" must be an integer >= 1');
  }
  return {
    server: {
      ...server,
      queue: queue ?? modelQueue(model.spec.name, model.spec.version),
      maxBatch: batchMaxMessages,
    },
    model,
    batchMaxRows,
    maxRowsPerRequest,
    metrics,
    tracer,
  };
}

/**
 * The RPC server of one model: every batch of messages the RpcServer hands over becomes one
 * dynamically batched inference (see BatchPredictor).
 */
export class ModelWorker extends RpcServer<unknown, PredictResult> {
  readonly #predictor: BatchPredictor;
  /** Busy while an interactive batch is inferred; job chunks wait on it (job-consumer.ts). */
  readonly gate = new InteractiveGate();

  constructor(options: ModelWorkerOptions) {
    const o = normalizeOptions(options);
    super(o.server);
    this.#predictor = new BatchPredictor(o.model, {
      batchMaxRows: o.batchMaxRows,
      maxRowsPerRequest: o.maxRowsPerRequest,
      metrics: o.metrics,
      tracer: o.tracer,
      logger: o.server.logger ?? null,
    });
  }

  get model(): InferenceModel {
    return this.#predictor.model;
  }

  protected override async handle(request: unknown, context: RpcContext): Promise<PredictResult> {
    this.gate.enter();
    const [outcome] = await this.#predictor
      .predict([{ request, context }])
      .finally(() => this.gate.leave());
    if (outcome?.ok !== true) throw outcome?.error;
    return outcome.result;
  }

  protected override handleBatch(
    items: readonly RpcBatchItem<unknown>[],
  ): Promise<RpcOutcome<PredictResult>[]> {
    this.gate.enter();
    return this.#predictor.predict(items).finally(() => this.gate.leave());
  }
}
