import { type ModelSpec, modelQueue, PREDICT_METHOD, type PredictResult } from '@mlapi/contracts';
import { type Logger, RemoteError, type RpcBatchItem, type RpcOutcome } from '@mlapi/rpc';
import type { Tracer } from '@opentelemetry/api';
import { argmaxRows } from './argmax-rows.js';
import { BatchSpans } from './batch-spans.js';
import type { WorkerMetrics } from './metrics.js';
import { claimedRows, readRows } from './read-rows.js';

/** What the predictor needs from a model: `OnnxModel` in production. */
export interface InferenceModel {
  readonly spec: ModelSpec;
  run(input: Float32Array, rows: number): Promise<Float32Array>;
}

export interface BatchPredictorOptions {
  /** Rows in one `session.run`; a larger batch is run in chunks. Default 256. */
  batchMaxRows?: number;
  /** Rows one request may carry. Default 1024. */
  maxRowsPerRequest?: number;
  metrics?: WorkerMetrics | null;
  logger?: Logger | null;
  /** Clock for deadline checks (epoch ms). Default Date.now. */
  now?: () => number;
  /** Traces the batches of traced messages (see BatchSpans); null (the default): off. */
  tracer?: Tracer | null;
}

export const DEFAULT_OPTIONS = {
  batchMaxRows: 256,
  maxRowsPerRequest: 1024,
  metrics: null,
  logger: null,
  now: Date.now,
  tracer: null,
} as const satisfies Required<BatchPredictorOptions>;

type Normalized = {
  batchMaxRows: number;
  maxRowsPerRequest: number;
  metrics: WorkerMetrics | null;
  logger: Logger | null;
  now: () => number;
  tracer: Tracer | null;
};

export function normalizeOptions(options: BatchPredictorOptions = {}): Normalized {
  const o = { ...DEFAULT_OPTIONS, ...options };
  for (const name of ['batchMaxRows', 'maxRowsPerRequest'] as const) {
    if (!Number.isInteger(o[name]) || o[name] < 1) {
      throw new TypeError(`${name} must be an integer >= 1, got ${String(o[name])}`);
    }
  }
  if (typeof o.now !== 'function') throw new TypeError('now must be a function');
  return o;
}

const NOT_INFERRED = -1;

/**
 * Dynamic batching: checks every request of a batch, packs the rows of the valid ones into one
 * Float32Array, runs it through the model in as few `session.run`s as `batchMaxRows` allows, and
 * hands each requester exactly its own rows back. One outcome per item, in order.
 */
export class BatchPredictor {
  readonly model: InferenceModel;
  readonly #o: Normalized;

  constructor(model: InferenceModel, options: BatchPredictorOptions = {}) {
    this.model = model;
    this.#o = normalizeOptions(options);
  }

  async predict(items: readonly RpcBatchItem<unknown>[]): Promise<RpcOutcome<PredictResult>[]> {
    const tracer = this.#o.tracer;
    if (tracer === null) return this.#predict(items, null);
    const { name, version } = this.model.spec;
    const spans = BatchSpans.open(tracer, items, modelQueue(name, version));
    return this.#predict(items, spans);
  }

  async #predict(
    items: readonly RpcBatchItem<unknown>[],
    spans: BatchSpans | null,
  ): Promise<RpcOutcome<PredictResult>[]> {
    const { width } = this.model.spec;
    const { maxRowsPerRequest, metrics } = this.#o;
    const n = items.length;
    metrics?.countRequests(n);
    const outcomes = new Array<RpcOutcome<PredictResult>>(n);
    // Row offset of each item in the batch, or NOT_INFERRED once it has an outcome.
    const starts = new Int32Array(n).fill(NOT_INFERRED);
    const counts = new Int32Array(n);

    // Checked before any work: a request nobody waits for any more must not cost inference.
    const now = this.#o.now();
    let capacity = 0;
    for (let i = 0; i < n; i++) {
      const { request, context } = items[i] as RpcBatchItem<unknown>;
      if (context.type !== PREDICT_METHOD) {
        outcomes[i] = this.#fail(context, 'BAD_INPUT', `unknown method "${context.type}"`);
      } else if (context.deadline !== undefined && context.deadline <= now) {
        outcomes[i] = this.#fail(context, 'TIMEOUT', 'the deadline passed before inference');
      } else {
        starts[i] = 0;
        capacity += claimedRows(request, maxRowsPerRequest);
      }
    }

    const input = new Float32Array(capacity * width);
    let rows = 0;
    let inferred = 0;
    for (let i = 0; i < n; i++) {
      if (starts[i] === NOT_INFERRED) continue;
      const { request, context } = items[i] as RpcBatchItem<unknown>;
      try {
        const count = readRows(request, input, rows * width, width, maxRowsPerRequest);
        starts[i] = rows;
        counts[i] = count;
        rows += count;
        inferred++;
      } catch (err) {
        starts[i] = NOT_INFERRED;
        outcomes[i] = this.#reject(context, err);
      }
    }
    if (rows === 0) {
      spans?.end(0, false);
      return outcomes;
    }

    metrics?.observeBatch(inferred);
    let output: Float32Array;
    try {
      output = await this.#run(input.subarray(0, rows * width), rows, spans);
    } catch (err) {
      spans?.end(rows, true);
      this.#o.logger?.error({ err, rows, requests: inferred }, 'inference failed');
      for (let i = 0; i < n; i++) {
        if (starts[i] === NOT_INFERRED) continue;
        metrics?.countError('INTERNAL');
        outcomes[i] = { ok: false, error: err };
      }
      return outcomes;
    }

    for (let i = 0; i < n; i++) {
      const start = starts[i] as number;
      if (start === NOT_INFERRED) continue;
      outcomes[i] = { ok: true, result: this.#result(output, start, counts[i] as number) };
    }
    spans?.end(rows, false);
    return outcomes;
  }

  /** One `session.run` per `batchMaxRows` rows, outputs laid end to end. */
  async #run(input: Float32Array, rows: number, spans: BatchSpans | null): Promise<Float32Array> {
    const { width, classes } = this.model.spec;
    const { batchMaxRows } = this.#o;
    if (rows <= batchMaxRows) return this.#timedRun(input, rows, spans);
    const output = new Float32Array(rows * classes);
    for (let first = 0; first < rows; first += batchMaxRows) {
      const count = Math.min(batchMaxRows, rows - first);
      const chunk = input.subarray(first * width, (first + count) * width);
      output.set(await this.#timedRun(chunk, count, spans), first * classes);
    }
    return output;
  }

  async #timedRun(
    input: Float32Array,
    rows: number,
    spans: BatchSpans | null,
  ): Promise<Float32Array> {
    const span = spans?.run(rows);
    const started = process.hrtime.bigint();
    try {
      const output = await this.model.run(input, rows);
      this.#o.metrics?.observeRun(Number(process.hrtime.bigint() - started) / 1e9, rows);
      return output;
    } finally {
      span?.end();
    }
  }

  /** Builds one requester's reply from its rows of the batch output; argmax keeps the first max. */
  #result(output: Float32Array, start: number, rows: number): PredictResult {
    const { classes, labels, name, version, sha256 } = this.model.spec;
    const { predictions, probabilities } = argmaxRows(output, start, rows, classes);
    const rowLabels = predictions.map((k) => labels[k] as string);
    return {
      model_name: name,
      model_version: version,
      predictions,
      probabilities,
      labels: rowLabels,
      ...(sha256 !== null ? { model_sha256: sha256 } : {}),
    };
  }

  #fail(
    context: RpcBatchItem<unknown>['context'],
    code: string,
    message: string,
  ): RpcOutcome<PredictResult> {
    return this.#reject(context, new RemoteError(code, message));
  }

  #reject(context: RpcBatchItem<unknown>['context'], err: unknown): RpcOutcome<PredictResult> {
    const code = err instanceof RemoteError ? err.code : 'INTERNAL';
    this.#o.metrics?.countError(code);
    // context.log carries the request id; the reason is what the caller was told.
    context.log.debug(
      { code, reason: err instanceof Error ? err.message : String(err) },
      'predict refused',
    );
    return { ok: false, error: err };
  }
}
