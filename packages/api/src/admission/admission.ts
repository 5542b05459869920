import { ApiError } from '../errors.js';
import { WaitEstimate } from './wait-estimate.js';

export interface AdmissionOptions {
  /** Rows in flight per model (queue) at once; 0: no bound. */
  maxRowsPerModel: number;
  /** Rows in flight over all models; 0: no bound. */
  maxRows: number;
  /** Requests in flight over all models; 0: no bound. */
  maxRequests: number;
  /** EWMA weight of each new service-time sample. Default 0.2. */
  weight?: number;
  /** Epoch ms. Default Date.now. */
  now?: () => number;
}

interface Settings {
  readonly maxRowsPerModel: number;
  readonly maxRows: number;
  readonly maxRequests: number;
  readonly weight: number;
  readonly now: () => number;
}

function normalizeOptions(options: AdmissionOptions): Settings {
  const bound = (name: string, value: number) => {
    if (!Number.isInteger(value) || value < 0) {
      throw new TypeError(`admission: ${name} must be a non-negative integer`);
    }
    return value;
  };
  const weight = options.weight ?? 0.2;
  if (!(weight > 0 && weight <= 1)) throw new TypeError('admission: weight must be in (0, 1]');
  return {
    maxRowsPerModel: bound('maxRowsPerModel', options.maxRowsPerModel),
    maxRows: bound('maxRows', options.maxRows),
    maxRequests: bound('maxRequests', options.maxRequests),
    weight,
    now: options.now ?? Date.now,
  };
}

/** One model's load: what it holds in flight and how fast it has been clearing it. */
interface ModelLoad {
  rows: number;
  requests: number;
  readonly estimate: WaitEstimate;
}

/** An admitted request's place; `release` exactly once when its call settles. */
export interface Ticket {
  /** `sample`: whether the call's latency says something about the model's speed. */
  release(sample: boolean): void;
}

export type RejectReason = 'model_full' | 'gateway_full' | 'deadline';

/**
 * Admission control: decides, before a call is sent, whether it can be served in time.
 *
 * A request is refused at once with 503 OVERLOADED (and a Retry-After from the wait estimate)
 * when its model's bound or the gateway's bound is full, or when the estimated wait for the rows
 * ahead of it and its own (wait-estimate.ts) would end past its deadline. Refusing early is
 * the point: a request that would only time out costs the caller its whole deadline and costs
 * the gateway memory while it waits. Bounds are per model so that one model's flood cannot take
 * the room another model needs; the overall bounds cap the gateway's memory.
 */
export class Admission {
  readonly #s: Settings;
  readonly #models = new Map<string, ModelLoad>();
  readonly #onReject: (model: string, reason: RejectReason) => void;
  #rows = 0;
  #requests = 0;

  constructor(
    options: AdmissionOptions,
    onReject: (model: string, reason: RejectReason) => void = () => {},
  ) {
    this.#s = normalizeOptions(options);
    this.#onReject = onReject;
  }

  /** Rows and requests in flight, overall. */
  get load(): { rows: number; requests: number } {
    return { rows: this.#rows, requests: this.#requests };
  }

  /** The model's estimated wait for a new request of `rows` rows, in ms; 0 when unknown. */
  estimatedWaitMs(model: string, rows: number): number {
    const load = this.#models.get(model);
    return load === undefined ? 0 : load.estimate.waitMs(load.rows + rows);
  }

  /**
   * Admits a request of `rows` rows for `model` (its queue) that must finish by `deadline`
   * (epoch ms), or throws.
   * @throws ApiError OVERLOADED with retryAfterSeconds
   */
  admit(model: string, rows: number, deadline: number): Ticket {
    const s = this.#s;
    const load = this.#loadOf(model);
    if (s.maxRowsPerModel > 0 && load.rows + rows > s.maxRowsPerModel && load.requests > 0) {
      this.#reject(model, load, 'model_full', `model "${model}" has ${load.rows} rows in flight`);
    }
    if (
      (s.maxRows > 0 && this.#rows + rows > s.maxRows && this.#requests > 0) ||
      (s.maxRequests > 0 && this.#requests >= s.maxRequests)
    ) {
      this.#reject(model, load, 'gateway_full', 'the gateway is at its in-flight bound');
    }
    const started = s.now();
    const rowsAhead = load.rows + rows;
    // An idle model always takes one request: that keeps its estimate fresh, so a model that
    // was slow once is not refused forever on a stale figure.
    if (load.requests > 0 && load.estimate.known) {
      const waitMs = load.estimate.waitMs(rowsAhead);
      if (started + waitMs > deadline) {
        this.#reject(
          model,
          load,
          'deadline',
          `model "${model}" is busy: the estimated wait of ${Math.ceil(waitMs)} ms exceeds the deadline`,
        );
      }
    }
    load.rows += rows;
    load.requests++;
    this.#rows += rows;
    this.#requests++;
    let released = false;
    return {
      release: (sample) => {
        if (released) return;
        released = true;
        load.rows -= rows;
        load.requests--;
        this.#rows -= rows;
        this.#requests--;
        if (sample) load.estimate.record(s.now() - started, rowsAhead);
      },
    };
  }

  #loadOf(model: string): ModelLoad {
    let load = this.#models.get(model);
    if (load === undefined) {
      load = { rows: 0, requests: 0, estimate: new WaitEstimate(this.#s.weight) };
      this.#models.set(model, load);
    }
    return load;
  }

  #reject(model: string, load: ModelLoad, reason: RejectReason, message: string): never {
    this.#onReject(model, reason);
    // Retry once the backlog ahead would have cleared; at least 1 s (Retry-After is whole seconds).
    const drainMs = load.estimate.waitMs(load.rows);
    throw new ApiError('OVERLOADED', `${message}; retry later`, {
      retryAfterSeconds: Math.max(1, Math.ceil(drainMs / 1000)),
    });
  }
}
