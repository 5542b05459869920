/**
 * An exponentially weighted moving average of how long one row takes a model's fleet, in ms.
 *
 * A sample is one finished call: its latency divided by the rows that were ahead of it when it
 * was admitted, its own included. Under a backlog that is the fleet's time per row (latency grows
 * with what is queued ahead); when idle it is one call's own service time per row, so the
 * estimate of an idle model's wait is simply how long a call of that size took.
 */
export class WaitEstimate {
  readonly #weight: number;
  #msPerRow = 0;
  #samples = 0;

  /** `weight`: how much a new sample moves the average, in (0, 1]. */
  constructor(weight: number) {
    this.#weight = weight;
  }

  /** Whether any call has finished yet; before that there is nothing to estimate from. */
  get known(): boolean {
    return this.#samples > 0;
  }

  get msPerRow(): number {
    return this.#msPerRow;
  }

  record(latencyMs: number, rowsAhead: number): void {
    if (rowsAhead <= 0 || !(latencyMs >= 0)) return;
    const sample = latencyMs / rowsAhead;
    // The first sample is taken whole: averaging it with zero would promise a wait far too short.
    this.#msPerRow =
      this.#samples === 0 ? sample : this.#msPerRow + this.#weight * (sample - this.#msPerRow);
    this.#samples++;
  }

  /** How long `rows` rows take to clear, in ms. */
  waitMs(rows: number): number {
    return this.#msPerRow * rows;
  }
}
