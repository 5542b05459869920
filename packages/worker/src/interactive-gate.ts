/**
 * Counts interactive batches in progress so bulk work can wait for them: job chunks run only
 * when no interactive request is being inferred, which keeps a running job from adding its
 * inference time to interactive latency.
 */
export class InteractiveGate {
  #busy = 0;
  #waiters: (() => void)[] = [];

  enter(): void {
    this.#busy++;
  }

  leave(): void {
    this.#busy--;
    if (this.#busy > 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves once no interactive batch is in progress, after a turn of the event loop. */
  async idle(): Promise<void> {
    do {
      if (this.#busy > 0) await new Promise<void>((resolve) => this.#waiters.push(resolve));
      // Lets interactive messages already read from the socket start their batch first.
      await new Promise<void>((resolve) => setImmediate(resolve));
    } while (this.#busy > 0);
  }
}
