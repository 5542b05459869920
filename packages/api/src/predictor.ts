import { performance } from 'node:perf_hooks';
import {
  isModelName,
  isPredictResult,
  type ModelSpec,
  modelQueue,
  type PredictResult,
} from '@mlapi/contracts';
import type { PredictionCache } from './cache/prediction-cache.js';
import { hashedKey, localKey } from './cache-key.js';
import type { Coalescer } from './coalescer.js';
import { ApiError, toApiError } from './errors.js';
import type { GatewayMetrics } from './metrics.js';
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

/** What every route family calls. */
export interface Predictor {
  predict(request: PredictRequest): Promise<Prediction>;
  /** The manifest of a known model, for routes that describe models. */
  model(name: string): ModelSpec;
}

export interface PredictionServiceOptions {
  rpc: RpcCaller;
  registry: ModelRegistry;
  cache: PredictionCache;
  metrics: GatewayMetrics;
  cacheTtlSeconds: number;
  maxRowsPerRequest: number;
  /** Sends the calls, coalescing concurrent ones per model; null: one message per call. */
  coalescer?: Coalescer | null;
}

interface Flight {
  readonly promise: Promise<PredictResult>;
  readonly deadline: number;
}

/**
 * Validate, look up the cache, share identical in-flight calls, call the model's worker (through
 * the coalescer when there is one), and cache only successes.
 */
export class PredictionService implements Predictor {
  readonly #rpc: RpcCaller;
  readonly #registry: ModelRegistry;
  readonly #cache: PredictionCache;
  readonly #metrics: GatewayMetrics;
  readonly #ttl: number;
  readonly #maxRows: number;
  readonly #coalescer: Coalescer | null;
  readonly #flights = new Map<string, Flight>();

  constructor(options: PredictionServiceOptions) {
    this.#rpc = options.rpc;
    this.#registry = options.registry;
    this.#cache = options.cache;
    this.#metrics = options.metrics;
    this.#ttl = options.cacheTtlSeconds;
    this.#maxRows = options.maxRowsPerRequest;
    this.#coalescer = options.coalescer ?? null;
  }

  model(name: string): ModelSpec {
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

  async #predict(manifest: ModelSpec, request: PredictRequest): Promise<Prediction> {
    this.#checkRows(manifest, request.rows);
    // Serialised once: it is both keys. A shared cache needs the stable hash; the in-process
    // cache and the flights map key on the canonical rows themselves (no SHA-256 per request).
    const json = JSON.stringify(request.rows);
    const flightKey = localKey(manifest.name, manifest.version, json);
    const key =
      this.#cache.local === true ? flightKey : hashedKey(manifest.name, manifest.version, json);
    const hit = await this.#cacheGet(key);
    if (hit !== undefined) return { result: hit, cached: true };

    // Join an identical call only if it will settle before our own deadline; a caller with
    // a tighter deadline than the flight's makes its own call rather than wait past it.
    const flight = this.#flights.get(flightKey);
    if (flight !== undefined && flight.deadline <= request.deadline) {
      return { result: await flight.promise, cached: false };
    }
    if (this.#registry.liveWorkers(manifest.name) === 0) {
      throw new ApiError('UNAVAILABLE', `model "${manifest.name}" has no live worker`);
    }
    const promise = this.#call(manifest, request, key);
    if (flight === undefined) {
      const own: Flight = { promise, deadline: request.deadline };
      this.#flights.set(flightKey, own);
      // Only successes reach the cache; the flight ends either way.
      const land = () => this.#flights.get(flightKey) === own && this.#flights.delete(flightKey);
      promise.then(land, land);
    }
    return { result: await promise, cached: false };
  }

  async #call(manifest: ModelSpec, request: PredictRequest, key: string): Promise<PredictResult> {
    const queue = modelQueue(manifest.name);
    // Counted per request, coalesced or not: each caller is waiting on an RPC.
    this.#metrics.rpcInFlight.inc();
    let result: unknown;
    try {
      result =
        this.#coalescer !== null
          ? await this.#coalescer.predict(queue, request.rows, request.requestId, request.deadline)
          : await this.#rpc.call(
              queue,
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

  #checkRows(manifest: ModelSpec, rows: readonly (readonly number[])[]): void {
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
