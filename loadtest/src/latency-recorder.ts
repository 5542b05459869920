/** Percentiles in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * Keeps every latency sample (ms) and sorts once at the end: exact percentiles, no histogram
 * bucketing. A 20,000 req/s, 10 s cell is 200,000 doubles (1.6 MB), so memory is no concern.
 */
export class LatencyRecorder {
  #samples = new Float64Array(4096);
  #count = 0;

  record(ms: number): void {
    if (this.#count === this.#samples.length) {
      const grown = new Float64Array(this.#samples.length * 2);
      grown.set(this.#samples);
      this.#samples = grown;
    }
    this.#samples[this.#count++] = ms;
  }

  get count(): number {
    return this.#count;
  }

  reset(): void {
    this.#count = 0;
  }

  /** Nearest-rank percentiles; all zero when nothing was recorded. */
  summary(): LatencySummary {
    const n = this.#count;
    if (n === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0 };
    const sorted = this.#samples.slice(0, n).sort();
    const at = (p: number) =>
      sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] ?? 0;
    return { count: n, p50: at(50), p95: at(95), p99: at(99), max: sorted[n - 1] ?? 0 };
  }
}
