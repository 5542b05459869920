import { binOf, type DriftProfile, psi } from '@mlapi/contracts';

/**
 * The live rows and predictions of one (model, version) in this replica, binned with the edges
 * of its training profile. Each row costs a bounded number of comparisons and increments per
 * feature (DRIFT_BINS), whatever the traffic. `total` only grows (Prometheus counters are made
 * from it); two rotating windows give the per-replica PSI of recent traffic.
 */
export class DriftWindow {
  readonly profile: DriftProfile;
  /** Cumulative counts: every feature's bins laid end to end, then the classes. */
  readonly total: Float64Array;
  /** What has already been added to the Prometheus counters, per slot of `total`. */
  readonly exported: Float64Array;
  /** First slot of each feature's bins in the flat arrays. */
  readonly offsets: readonly number[];
  readonly classOffset: number;
  #current: Float64Array;
  #previous: Float64Array;
  #currentRows = 0;
  #previousRows = 0;
  #windowStart: number;
  readonly #windowMs: number;

  constructor(profile: DriftProfile, windowMs: number, now: number) {
    this.profile = profile;
    const offsets: number[] = [];
    let size = 0;
    for (const f of profile.features) {
      offsets.push(size);
      size += f.counts.length;
    }
    this.offsets = offsets;
    this.classOffset = size;
    size += profile.classes.length;
    this.total = new Float64Array(size);
    this.exported = new Float64Array(size);
    this.#current = new Float64Array(size);
    this.#previous = new Float64Array(size);
    this.#windowMs = windowMs;
    this.#windowStart = now;
  }

  /** Bins the rows of one answer and its predicted classes. */
  record(rows: readonly (readonly number[])[], predictions: readonly number[], now: number): void {
    this.#rotate(now);
    const { features } = this.profile;
    const total = this.total;
    const current = this.#current;
    for (const row of rows) {
      for (let f = 0; f < features.length; f++) {
        const slot =
          (this.offsets[f] as number) +
          binOf((features[f] as DriftProfile['features'][number]).edges, row[f] as number);
        total[slot] = (total[slot] as number) + 1;
        current[slot] = (current[slot] as number) + 1;
      }
    }
    const classes = this.profile.classes.length;
    for (const p of predictions) {
      if (p < 0 || p >= classes) continue;
      const slot = this.classOffset + p;
      total[slot] = (total[slot] as number) + 1;
      current[slot] = (current[slot] as number) + 1;
    }
    this.#currentRows += rows.length;
  }

  /** Rows in the recent windows (the current one and the one before). */
  recentRows(now: number): number {
    this.#rotate(now);
    return this.#currentRows + this.#previousRows;
  }

  /** PSI of feature `f` over the recent windows against the training profile. */
  featurePsi(f: number): number {
    const feature = this.profile.features[f] as DriftProfile['features'][number];
    const start = this.offsets[f] as number;
    return psi(feature.counts, this.#recent(start, feature.counts.length));
  }

  /** PSI of the predicted classes over the recent windows against the training labels. */
  classPsi(): number {
    return psi(this.profile.classes, this.#recent(this.classOffset, this.profile.classes.length));
  }

  #recent(start: number, length: number): Float64Array {
    const out = new Float64Array(length);
    for (let i = 0; i < length; i++) {
      out[i] = (this.#current[start + i] as number) + (this.#previous[start + i] as number);
    }
    return out;
  }

  #rotate(now: number): void {
    const elapsed = now - this.#windowStart;
    if (elapsed < this.#windowMs) return;
    if (elapsed >= 2 * this.#windowMs) {
      this.#previous.fill(0);
      this.#previousRows = 0;
    } else {
      const swap = this.#previous;
      this.#previous = this.#current;
      this.#previousRows = this.#currentRows;
      this.#current = swap;
    }
    this.#current.fill(0);
    this.#currentRows = 0;
    this.#windowStart = now;
  }
}
