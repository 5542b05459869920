/**
 * A fixed-size latency histogram on a log scale: bin i holds values up to MIN_MS * RATIO^i, so a
 * quantile read from it is within ±4% of the true one whatever the traffic, in constant memory,
 * and histograms of several intervals merge by adding their counts.
 */
const MIN_MS = 0.01;
const RATIO = 1.08;
const LOG_RATIO = Math.log(RATIO);
/** 0.01 ms * 1.08^199 is about 44 s; anything slower lands in the last bin. */
export const BINS = 200;

export class LatencyHistogram {
  readonly counts = new Uint32Array(BINS);
  total = 0;

  add(ms: number): void {
    const bin = ms <= MIN_MS ? 0 : Math.min(BINS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_RATIO));
    this.counts[bin] = (this.counts[bin] as number) + 1;
    this.total++;
  }

  addAll(other: LatencyHistogram): void {
    if (other.total === 0) return;
    for (let i = 0; i < BINS; i++) {
      this.counts[i] = (this.counts[i] as number) + (other.counts[i] as number);
    }
    this.total += other.total;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }

  /** The q-quantile in ms (the geometric middle of its bin), or null with no samples. */
  quantile(q: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BINS; i++) {
      seen += this.counts[i] as number;
      if (seen >= rank) return i === 0 ? MIN_MS : MIN_MS * RATIO ** (i - 0.5);
    }
    return MIN_MS * RATIO ** (BINS - 1);
  }
}
