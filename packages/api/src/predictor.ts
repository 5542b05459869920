import { performance } from 'node:perf_hooks';
import {
  isFloat32Finite,
  isPredictResult,
  type ModelSpec,
  modelQueue,
  PREDICT_METHOD,
  type PredictResult,
} from '@mlapi/contracts';
import type { Context, Tracer } from '@opentelemetry/api';
import type { Admission } from './admission/admission.js';
import type { PredictionCache } from './cache/prediction-cache.js';
import { hashedKey, localKey } from './cache-key.js';
import type { Coalescer } from './coalescer.js';
import type { DriftMonitor } from './drift/drift-monitor.js';
import { ApiError, toApiError } from './errors.js';
import type { GatewayMetrics } from './metrics.js';
import type { ModelRegistry } from './registry.js';
import {
  endWith,
  startCoalescingWait,
  type TraceHeaders,
  tracedCall,
  tracedLookup,
} from './tracing/gateway-tracer.js';
import type { RollbackGuard } from './traffic/rollback-guard.js';
import type { ResolvedName, TrafficRouter, VersionChoice } from './traffic/router.js';
import type { ShadowRunner } from './traffic/shadow.js';

/** The part of @mlapi/rpc's RpcClient the predictor uses. */
export interface RpcCaller {
  call<TRes = unknown, TReq = unknown>(
    queue: string,
    payload: TReq,
    options?: {
      deadline?: number;
      requestId?: string;
      type?: string;
      traceparent?: string;
      headers?: Record<string, string>;
    },
  ): Promise<TRes>;
}

export interface PredictRequest {
  readonly model: string;
  /** The version asked for; absent: the model's traffic policy picks one. */
  readonly version?: string;
  /** Who is calling, for sticky version assignment (traffic/caller.ts). Default ''. */
  readonly caller?: string;
  /** A choice `choose()` already made for this request (V2 needs the spec before predicting). */
  readonly choice?: VersionChoice;
  /** Rows as the caller sent them; checked here against the manifest. */
  readonly rows: readonly (readonly number[])[];
  readonly requestId: string;
  /** Epoch ms. */
  readonly deadline: number;
  /**
   * The request's trace context when it is sampled (`recordingContext(request)`), the parent of
   * every span made for it; absent or null: untraced, and no span of ours is made.
   */
  readonly traceContext?: Context | null;
}

export interface Prediction {
  /** `model_version` names the version that really answered. */
  readonly result: PredictResult;
  readonly cached: boolean;
}

/** What every route family calls. */
export interface Predictor {
  predict(request: PredictRequest): Promise<Prediction>;
  /** The version that would serve (model, version?) for this caller. @throws ApiError */
  choose(model: string, version?: string, caller?: string): VersionChoice;
  /**
   * The manifest describing a model in metadata routes: the named version, else the model's
   * primary version (traffic/router.ts). @throws ApiError
   */
  model(name: string, version?: string): ModelSpec;
  /**
   * Whether a request would find a live worker: of that version, else of a version the model's
   * traffic policy serves.
   */
  ready(name: string, version?: string): boolean;
  /** What a name the caller sent stands for, after aliases. @throws ApiError */
  resolve(name: string, version?: string): ResolvedName;
}

export interface PredictionServiceOptions {
  rpc: RpcCaller;
  registry: ModelRegistry;
  router: TrafficRouter;
  cache: PredictionCache;
  metrics: GatewayMetrics;
  cacheTtlSeconds: number;
  maxRowsPerRequest: number;
  /** Sends the calls, coalescing concurrent ones per queue; null: one message per call. */
  coalescer?: Coalescer | null;
  /** Sends sampled shadow calls; null: shadow policies are not acted on. */
  shadow?: ShadowRunner | null;
  /** Counts outcomes for automatic rollback; null: none. */
  rollback?: RollbackGuard | null;
  /** Refuses calls that cannot be served in time (admission/admission.ts); null: none. */
  admission?: Admission | null;
  /** Records the cache lookup, waits and broker calls of sampled requests; null: tracing off. */
  tracer?: Tracer | null;
  /** Bins every answer's rows and predictions, cached ones included; null: off. */
  drift?: DriftMonitor | null;
}

interface Flight {
  readonly promise: Promise<PredictResult>;
  readonly deadline: number;
}

/**
 * Choose the version, validate, look up the cache, share identical in-flight calls, call the
 * version's workers (through the coalescer when there is one), and cache only successes.
 */
export class PredictionService implements Predictor {
  readonly #rpc: RpcCaller;
  readonly #registry: ModelRegistry;
  readonly #router: TrafficRouter;
  readonly #cache: PredictionCache;
  readonly #metrics: GatewayMetrics;
  readonly #ttl: number;
  readonly #maxRows: number;
  readonly #coalescer: Coalescer | null;
  readonly #shadow: ShadowRunner | null;
  readonly #rollback: RollbackGuard | null;
  readonly #admission: Admission | null;
  readonly #tracer: Tracer | null;
  readonly #drift: DriftMonitor | null;
  readonly #flights = new Map<string, Flight>();

  constructor(options: PredictionServiceOptions) {
    this.#rpc = options.rpc;
    this.#registry = options.registry;
    this.#router = options.router;
    this.#cache = options.cache;
    this.#metrics = options.metrics;
    this.#ttl = options.cacheTtlSeconds;
    this.#maxRows = options.maxRowsPerRequest;
    this.#coalescer = options.coalescer ?? null;
    this.#shadow = options.shadow ?? null;
    this.#rollback = options.rollback ?? null;
    this.#admission = options.admission ?? null;
    this.#tracer = options.tracer ?? null;
    this.#drift = options.drift ?? null;
  }

  choose(model: string, version?: string, caller = ''): VersionChoice {
    return this.#router.choose(model, version, caller);
  }

  model(name: string, version?: string): ModelSpec {
    return version === undefined ? this.#router.primary(name) : this.#router.version(name, version);
  }

  ready(name: string, version?: string): boolean {
    return this.#router.ready(name, version);
  }

  resolve(name: string, version?: string): ResolvedName {
    return this.#router.resolve(name, version);
  }

  async predict(request: PredictRequest): Promise<Prediction> {
    const choice =
      request.choice ?? this.#router.choose(request.model, request.version, request.caller ?? '');
    const spec = choice.spec;
    const started = performance.now();
    try {
      const prediction = await this.#predict(choice, request);
      // Labelled with the version that really answered.
      const labels = {
        model_name: spec.name,
        model_version: prediction.result.model_version,
      };
      this.#metrics.predictions.inc(labels);
      this.#drift?.record(spec, labels.model_version, request.rows, prediction.result.predictions);
      this.#metrics.latency.observe(labels, (performance.now() - started) / 1000);
      this.#rollback?.record(spec.name, spec.version, false);
      return prediction;
    } catch (err) {
      const error = toApiError(err);
      this.#metrics.predictionErrors.inc({
        model_name: spec.name,
        model_version: spec.version,
        error_type: error.code,
      });
      this.#rollback?.record(spec.name, spec.version, error.statusCode >= 500);
      throw error;
    }
  }

  async #predict(choice: VersionChoice, request: PredictRequest): Promise<Prediction> {
    const spec = choice.spec;
    this.#checkRows(spec, request.rows);
    // Serialised once: it is both keys. A shared cache needs the stable hash; the in-process
    // cache and the flights map key on the canonical rows themselves (no SHA-256 per request).
    const json = JSON.stringify(request.rows);
    const flightKey = localKey(spec.name, spec.version, spec.sha256, json);
    const key =
      this.#cache.local === true
        ? flightKey
        : hashedKey(spec.name, spec.version, spec.sha256, json);
    const parent = this.#tracer === null ? null : (request.traceContext ?? null);
    const hit = await (parent === null
      ? this.#cacheGet(key)
      : tracedLookup(this.#tracer as Tracer, parent, () => this.#cacheGet(key)));
    if (hit !== undefined) return { result: hit, cached: true };

    // Join an identical call only if it will settle before our own deadline; a caller with
    // a tighter deadline than the flight's makes its own call rather than wait past it.
    const flight = this.#flights.get(flightKey);
    if (flight !== undefined && flight.deadline <= request.deadline) {
      if (parent !== null) {
        endWith(startCoalescingWait(this.#tracer as Tracer, parent, 'identical'), flight.promise);
      }
      return { result: await flight.promise, cached: false };
    }
    if (this.#registry.liveWorkers(spec.name, spec.version) === 0) {
      throw new ApiError(
        'UNAVAILABLE',
        `model "${spec.name}" version "${spec.version}" has no live worker`,
      );
    }
    // Only calls that reach a worker are admitted: cache hits and joined flights cost it nothing.
    const ticket =
      this.#admission?.admit(
        modelQueue(spec.name, spec.version),
        request.rows.length,
        request.deadline,
      ) ?? null;
    const started = performance.now();
    const promise = this.#call(spec, request, key, json, parent);
    if (ticket !== null) {
      // A timeout's latency says the model is slow too; a fast failure says nothing about speed.
      promise.then(
        () => ticket.release(true),
        (err: unknown) => ticket.release(toApiError(err).code === 'TIMEOUT'),
      );
    }
    if (choice.shadow !== null && this.#shadow !== null) {
      this.#shadow.run(
        spec,
        choice.shadow,
        request.rows,
        request.requestId,
        request.deadline,
        promise,
        started,
        parent,
      );
    }
    if (flight === undefined) {
      const own: Flight = { promise, deadline: request.deadline };
      this.#flights.set(flightKey, own);
      // Only successes reach the cache; the flight ends either way.
      const land = () => this.#flights.get(flightKey) === own && this.#flights.delete(flightKey);
      promise.then(land, land);
    }
    return { result: await promise, cached: false };
  }

  /**
   * One prediction to one queue, through the coalescer when there is one. `parent`: the sampled
   * caller's trace context, under which its broker spans are made; null: none.
   */
  send(
    queue: string,
    rows: PredictRequest['rows'],
    requestId: string,
    deadline: number,
    parent: Context | null = null,
  ): Promise<PredictResult> {
    const traced = this.#tracer === null ? null : parent;
    if (this.#coalescer !== null) {
      return this.#coalescer.predict(queue, rows, requestId, deadline, traced);
    }
    const call = (trace?: TraceHeaders) =>
      this.#rpc.call<PredictResult>(
        queue,
        { inputs: rows },
        callOptions(deadline, requestId, trace),
      );
    return traced === null ? call() : tracedCall(this.#tracer as Tracer, traced, [], queue, call);
  }

  async #call(
    spec: ModelSpec,
    request: PredictRequest,
    key: string,
    json: string,
    parent: Context | null,
  ): Promise<PredictResult> {
    const queue = modelQueue(spec.name, spec.version);
    // Counted per request, coalesced or not: each caller is waiting on an RPC.
    this.#metrics.rpcInFlight.inc();
    let result: unknown;
    try {
      result = await this.send(queue, request.rows, request.requestId, request.deadline, parent);
    } finally {
      this.#metrics.rpcInFlight.dec();
    }
    if (!isPredictResult(result, request.rows.length)) {
      throw new ApiError('INTERNAL', 'the model worker sent a malformed result');
    }
    // Stored under the graph that really answered: during a rollout two graphs may share a
    // version, and an answer must never be served for the other one.
    const answered = result.model_sha256;
    const storeKey =
      answered === undefined || answered === spec.sha256
        ? key
        : this.#cache.local === true
          ? localKey(spec.name, result.model_version, answered, json)
          : hashedKey(spec.name, result.model_version, answered, json);
    this.#cache.set(storeKey, result, this.#ttl).catch(() => this.#metrics.cacheErrors.inc());
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

  #checkRows(manifest: ModelSpec, rows: PredictRequest['rows']): void {
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
        if (!isFloat32Finite(row[j])) {
          throw new ApiError(
            'BAD_INPUT',
            `row ${i} column ${j} is not a finite number within the float32 range`,
          );
        }
      }
    }
  }
}

/** rpc.call's options: the trace headers only when the request is traced. */
export function callOptions(
  deadline: number,
  requestId: string,
  trace?: TraceHeaders,
): Parameters<RpcCaller['call']>[2] {
  const options = { deadline, requestId, type: PREDICT_METHOD };
  if (trace?.traceparent === undefined) return options;
  return {
    ...options,
    traceparent: trace.traceparent,
    ...(trace.tracestate !== undefined ? { headers: { tracestate: trace.tracestate } } : {}),
  };
}
