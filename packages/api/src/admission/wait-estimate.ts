/**
 * How long a model's fleet takes to clear a backlog, learnt from the calls that finished:
 * wait(rows) ≈ perCallMs + msPerRow × rows, fitted by least squares over exponentially weighted
 * moving averages, so old samples fade.
 *
 * A sample is one finished call: its latency against the rows that were ahead of it when it was
 * admitted, its own included. Under a backlog the slope is the fleet's time per row (latency grows
 * with what is queued ahead); the intercept is what every call pays whatever its size (the round
 * trip, the batch window), which keeps a model that has only seen 1-row calls from promising a
 * 1,024-row call a wait a thousand times the 1-row latency. While the sizes seen are too alike to
 * separate the two, the estimate is the plain ratio, latency per row ahead.
 */
export class WaitEstimate {
  readonly #weight: number;
  #samples = 0;
  // EWMAs of x (rows ahead), y (latency ms), x², x·y.
  #x = 0;
  #y = 0;
  #xx = 0;
  #xy = 0;

  /** `weight`: how much a new sample moves the averages, in (0, 1]. */
  constructor(weight: number) {
    this.#weight = weight;
  }

  /** Whether any call has finished yet; before that there is nothing to estimate from. */
  get known(): boolean {
    return this.#samples > 0;
  }

  record(latencyMs: number, rowsAhead: number): void {
    if (rowsAhead <= 0 || !(latencyMs >= 0)) return;
    // The first sample is taken whole: averaging it with zeros would promise a wait far too short.
    const w = this.#samples === 0 ? 1 : this.#weight;
    this.#x += w * (rowsAhead - this.#x);
    this.#y += w * (latencyMs - this.#y);
    this.#xx += w * (rowsAhead * rowsAhead - this.#xx);
    this.#xy += w * (rowsAhead * latencyMs - this.#xy);
    this.#samples++;
  }

  /** How long `rows` rows ahead take to clear, in ms; 0 before any sample. */
  waitMs(rows: number): number {
    if (this.#samples === 0) return 0;
    const variance = this.#xx - this.#x * this.#x;
    // Sizes spread by less than 10% of their mean cannot separate a slope from an intercept.
    if (variance > 0.01 * this.#x * this.#x) {
      const slope = (this.#xy - this.#x * this.#y) / variance;
      const intercept = this.#y - slope * this.#x;
      if (slope >= 0 && intercept >= 0) return intercept + slope * rows;
    }
    return (this.#y / this.#x) * rows;
  }
}
