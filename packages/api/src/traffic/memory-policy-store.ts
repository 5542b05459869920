import type { PolicyStore, TrafficRecord } from './policy-store.js';

/** Policies in this process only: the default without Redis, and what tests use. */
export class MemoryPolicyStore implements PolicyStore {
  readonly #records = new Map<string, TrafficRecord>();

  get(model: string): TrafficRecord | undefined {
    return this.#records.get(model);
  }

  all(): TrafficRecord[] {
    return [...this.#records.values()];
  }

  async compareAndSet(
    model: string,
    expected: number,
    record: TrafficRecord | null,
  ): Promise<boolean> {
    if ((this.#records.get(model)?.revision ?? 0) !== expected) return false;
    if (record === null) this.#records.delete(model);
    else this.#records.set(model, record);
    return true;
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {}
}
