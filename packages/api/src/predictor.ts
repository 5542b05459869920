import { performance } from 'node:perf_hooks';
import type { PredictionCache } from './cache/prediction-cache.js';
import { cacheKey } from './cache-key.js';
import { ApiError, toApiError } from './errors.js';
import type { ModelManifest } from './manifest.js';
import type { GatewayMetrics } from './metrics.js';
import { isModelName, modelQueue } from './model-name.js';
import { isPredictResult, type PredictResult } from './predict-result.js';
import type { ModelRegistry } from './registry.js';

/** The part of @mlapi/rpc's RpcClient the predictor uses. */
export interface RpcCaller {
  call<TRes = unknown, TReq = unknown>(
    queue: string,
    payload: TReq,
    options?: { deadline?: number; requestId?: string; type?: string },
  ): Promise<TRes>;
}

export interface PredictRequest {
  readonly model: string;
  /** Rows as the caller sent them; checked here against the manifest. */
  readonly rows: readonly (readonly number[])[];
  readonly requestId: string;
  /** Epoch ms. */
  readonly deadline: number;
}

export interface Prediction {
  readonly result: PredictResult;
  readonly cached: boolean;
}

/** What every route family calls; a later pass may coalesce requests behind it. */
export interface Predictor {
  predict(request: PredictRequest): Promise<Prediction>;
  /** The manifest of a known model, for routes that describe models. */
  model(name: string): ModelManifest;
}

export interface PredictionServiceOptions {
  rpc: RpcCaller;
  registry: ModelRegistry;
  cache: PredictionCache;
  metrics: GatewayMetrics;
  cacheTtlSeconds: number;
  maxRowsPerRequest: number;
}

interface Flight {
  readonly promise: Promise<PredictResult>;
  readonly deadline: number;
}

/**
 * Validate, look up the cache, share identical in-flight calls, call the model's worker, and
 * cache only successes.
 */
export class PredictionService implements Predictor {
  readonly #rpc: RpcCaller;
  readonly #registry: ModelRegistry;
  readonly #cache: PredictionCache;
  readonly #metrics: GatewayMetrics;
  readonly #ttl: number;
  readonly #maxRows: number;
  readonly #flights = new Map<string, Flight>();

  constructor(options: PredictionServiceOptions) {
    this.#rpc = options.rpc;
    this.#registry = options.registry;
    this.#cache = options.cache;
    this.#metrics = options.metrics;
    this.#ttl = options.cacheTtlSeconds;
    this.#maxRows = options.maxRowsPerRequest;
  }

  model(name: string): ModelManifest {
    if (!isModelName(name)) throw new ApiError('BAD_INPUT', 'invalid model name');
    const manifest = this.#registry.get(name);
    if (manifest === undefined) throw new ApiError('UNKNOWN_MODEL', `no model named "${name}"`);
    return manifest;
  }

  async predict(request: PredictRequest): Promise<Prediction> {
    const manifest = this.model(request.model);
    const labels = { model_name: manifest.name, model_version: manifest.version };
    const started = performance.now();
    try {
      const prediction = await this.#predict(manifest, request);
      this.#metrics.predictions.inc(labels);
      this.#metrics.latency.observe(labels, (performance.now() - started) / 1000);
      return prediction;
    } catch (err) {
      const error = toApiError(err);
      this.#metrics.predictionErrors.inc({ ...labels, error_type: error.code });
      throw error;
    }
  }

  async #predict(manifest: ModelManifest, request: PredictRequest): Promise<Prediction> {
    this.#checkRows(manifest, request.rows);
    const key = cacheKey(manifest.name, manifest.version, request.rows);
    const hit = await this.#cacheGet(key);
    if (hit !== undefined) return { result: hit, cached: true };

    // Join an identical call only if it will settle before our own deadline; a caller with
    // a tighter deadline than the flight's makes its own call rather than wait past it.
    const flight = this.#flights.get(key);
    if (flight !== undefined && flight.deadline <= request.deadline) {
      return { result: await flight.promise, cached: false };
    }
    if (this.#registry.liveWorkers(manifest.name) === 0) {
      throw new ApiError('UNAVAILABLE', `model "${manifest.name}" has no live worker`);
    }
    const promise = this.#call(manifest, request, key);
    if (flight === undefined) {
      const own: Flight = { promise, deadline: request.deadline };
      this.#flights.set(key, own);
      // Only successes reach the cache; the flight ends either way.
      promise.then(
        () => this.#flights.get(key) === own && this.#flights.delete(key),
        () => this.#flights.get(key) === own && this.#flights.delete(key),
      );
    }
    return { result: await promise, cached: false };
  }

  async #call(
    manifest: ModelManifest,
    request: PredictRequest,
    key: string,
  ): Promise<PredictResult> {
    this.#metrics.rpcInFlight.inc();
    let result: unknown;
    try {
      result = await this.#rpc.call(
        modelQueue(manifest.name),
        { inputs: request.rows },
        { deadline: request.deadline, requestId: request.requestId, type: 'predict' },
      );
    } finally {
      this.#metrics.rpcInFlight.dec();
    }
    if (!isPredictResult(result, request.rows.length)) {
      throw new ApiError('INTERNAL', 'the model worker sent a malformed result');
    }
    this.#cache.set(key, result, this.#ttl).catch(() => this.#metrics.cacheErrors.inc());
    return result;
  }

  async #cacheGet(key: string): Promise<PredictResult | undefined> {
    let hit: PredictResult | undefined;
    try {
      hit = await this.#cache.get(key);
    } catch {
      this.#metrics.cacheErrors.inc();
      return undefined;
    }
    if (hit === undefined) this.#metrics.cacheMisses.inc();
    else this.#metrics.cacheHits.inc();
    return hit;
  }

  #checkRows(manifest: ModelManifest, rows: readonly (readonly number[])[]): void {
    if (rows.length === 0) throw new ApiError('BAD_INPUT', 'at least one row is required');
    if (rows.length > this.#maxRows) {
      throw new ApiError('BAD_INPUT', `at most ${this.#maxRows} rows per request`);
    }
    const width = manifest.width;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as readonly number[];
      if (!Array.isArray(row) || row.length !== width) {
        throw new ApiError('BAD_INPUT', `row ${i} must have ${width} numbers`);
      }
      for (let j = 0; j < width; j++) {
        if (!Number.isFinite(row[j])) {
          throw new ApiError('BAD_INPUT', `row ${i} column ${j} is not a finite number`);
        }
      }
    }
  }
}
