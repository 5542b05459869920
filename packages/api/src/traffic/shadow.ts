import { performance } from 'node:perf_hooks';
import { isPredictResult, type ModelSpec, modelQueue, type PredictResult } from '@mlapi/contracts';
import type { Context } from '@opentelemetry/api';
import type { TrafficMetrics } from './traffic-metrics.js';

type Rows = readonly (readonly number[])[];

/**
 * Sends one prediction to a queue (the predictor's own path: coalesced, deadline-bound), traced
 * under `parent` when the caller's request is sampled.
 */
export type ShadowSend = (
  queue: string,
  rows: Rows,
  requestId: string,
  deadline: number,
  parent?: Context | null,
) => Promise<unknown>;

export interface ShadowRunnerOptions {
  send: ShadowSend;
  metrics: TrafficMetrics;
  /** Shadow calls held at once; a sampled call beyond it is dropped and counted. */
  maxInFlight: number;
}

/**
 * Sends a copy of a request to the shadow version, off the caller's path: the caller's answer
 * never waits for it, and a shadow failure is only counted. When both answers are in, their
 * predicted labels are compared row by row and the latency difference recorded.
 */
export class ShadowRunner {
  readonly #send: ShadowSend;
  readonly #metrics: TrafficMetrics;
  readonly #max: number;
  #inFlight = 0;

  constructor(options: ShadowRunnerOptions) {
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 0) {
      throw new TypeError('maxInFlight must be an integer >= 0');
    }
    this.#send = options.send;
    this.#metrics = options.metrics;
    this.#max = options.maxInFlight;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Starts the shadow call now, beside the primary one (`primary` settles with the serving
   * version's result; `primaryStarted` is when it was sent, from performance.now(); `parent`
   * is the caller's trace context when it is sampled, else null).
   */
  run(
    serving: ModelSpec,
    shadow: ModelSpec,
    rows: Rows,
    requestId: string,
    deadline: number,
    primary: Promise<PredictResult>,
    primaryStarted: number,
    parent: Context | null = null,
  ): void {
    const model = serving.name;
    const labels = {
      model_name: model,
      model_version: serving.version,
      shadow_version: shadow.version,
    };
    if (this.#inFlight >= this.#max) {
      this.#metrics.shadow(model, serving.version, shadow.version, 'dropped');
      return;
    }
    this.#inFlight++;
    const started = performance.now();
    let shadowCall: Promise<unknown>;
    try {
      shadowCall = this.#send(
        modelQueue(model, shadow.version),
        rows,
        `${requestId}:shadow`,
        deadline,
        parent,
      );
    } catch (err) {
      shadowCall = Promise.reject(err);
    }
    const shadowDone = shadowCall.then(
      (result) => ({ result, ms: performance.now() - started }),
      () => null,
    );
    const primaryDone = primary.then(
      (result) => ({ result, ms: performance.now() - primaryStarted }),
      () => null,
    );
    void Promise.all([primaryDone, shadowDone]).then(([p, s]) => {
      this.#inFlight--;
      if (p === null) {
        this.#metrics.shadow(model, serving.version, shadow.version, 'primary_error');
        return;
      }
      if (s === null || !isPredictResult(s.result, rows.length)) {
        this.#metrics.shadow(model, serving.version, shadow.version, 'shadow_error');
        return;
      }
      this.#metrics.shadow(model, serving.version, shadow.version, 'compared');
      let same = 0;
      for (let i = 0; i < rows.length; i++) {
        if (s.result.predictions[i] === p.result.predictions[i]) same++;
      }
      if (same > 0) this.#metrics.shadowRows.inc({ ...labels, agreement: 'same' }, same);
      if (same < rows.length) {
        this.#metrics.shadowRows.inc({ ...labels, agreement: 'different' }, rows.length - same);
      }
      this.#metrics.shadowLatencyDifference.observe(labels, (s.ms - p.ms) / 1000);
    });
  }
}
