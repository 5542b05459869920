import type { TrafficPolicies } from './policies.js';
import type { PolicyStore } from './policy-store.js';

/** Pino-compatible; only warn is used. */
export interface RollbackLogger {
  warn(obj: object, msg?: string): void;
}

export interface RollbackGuardOptions {
  store: PolicyStore;
  policies: TrafficPolicies;
  logger: RollbackLogger;
  /** Called for each rollback this gateway made. */
  rolledBack: (model: string, version: string) => void;
  /** How often windows are judged, ms. Default 1000. */
  tickMs?: number;
  /** Epoch ms; tests pass their own clock. Default Date.now. */
  now?: () => number;
}

/** The longest window a policy may ask for (auto_rollback.window_seconds), in one-second slots. */
const SLOTS = 3600;

/** Requests and server errors per second over the last hour, in a ring. */
class Window {
  readonly total = new Uint32Array(SLOTS);
  readonly errors = new Uint32Array(SLOTS);
  readonly second = new Float64Array(SLOTS).fill(-1);

  add(nowSecond: number, error: boolean): void {
    const i = nowSecond % SLOTS;
    if (this.second[i] !== nowSecond) {
      this.second[i] = nowSecond;
      this.total[i] = 0;
      this.errors[i] = 0;
    }
    this.total[i] = (this.total[i] as number) + 1;
    if (error) this.errors[i] = (this.errors[i] as number) + 1;
  }

  sum(nowSecond: number, seconds: number): { total: number; errors: number } {
    let total = 0;
    let errors = 0;
    for (let s = nowSecond - seconds + 1; s <= nowSecond; s++) {
      const i = s % SLOTS;
      if (this.second[i] === s) {
        total += this.total[i] as number;
        errors += this.errors[i] as number;
      }
    }
    return { total, errors };
  }
}

/**
 * Automatic rollback (a policy's `auto_rollback`): counts each version's requests and server
 * errors (5xx) as this gateway saw them, and once a second compares every canary (a version with
 * weight other than the heaviest) with the stable version over the policy's window. A canary
 * whose error rate is more than `margin` above the stable one's, over at least `min_requests`,
 * gets weight 0; the write is shared with every replica, logged and counted.
 */
export class RollbackGuard {
  readonly #store: PolicyStore;
  readonly #policies: TrafficPolicies;
  readonly #logger: RollbackLogger;
  readonly #rolledBack: (model: string, version: string) => void;
  readonly #tickMs: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();
  #timer: NodeJS.Timeout | null = null;
  #judging: Promise<unknown> | null = null;

  constructor(options: RollbackGuardOptions) {
    this.#store = options.store;
    this.#policies = options.policies;
    this.#logger = options.logger;
    this.#rolledBack = options.rolledBack;
    this.#tickMs = options.tickMs ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  /** One finished request of a policy-routed version; cheap when the model has no auto_rollback. */
  record(model: string, version: string, serverError: boolean): void {
    if (!this.#store.get(model)?.policy.auto_rollback) return;
    const key = `${model}\u0000${version}`;
    let window = this.#windows.get(key);
    if (window === undefined) {
      window = new Window();
      this.#windows.set(key, window);
    }
    window.add(Math.floor(this.#now() / 1000), serverError);
  }

  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => {
      if (this.#judging === null)
        this.#judging = this.judge().finally(() => (this.#judging = null));
    }, this.#tickMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#judging;
  }

  /** Judges every model with auto_rollback once; resolves with the versions rolled back. */
  async judge(): Promise<string[]> {
    const rolled: string[] = [];
    const nowSecond = Math.floor(this.#now() / 1000);
    for (const record of this.#store.all()) {
      const rule = record.policy.auto_rollback;
      if (rule === null) continue;
      const weighted = Object.entries(record.policy.weights).filter(([, w]) => w > 0);
      if (weighted.length < 2) continue;
      let stable = weighted[0] as [string, number];
      for (const entry of weighted) if (entry[1] > stable[1]) stable = entry;
      const rate = (version: string) => {
        const w = this.#windows.get(`${record.model}\u0000${version}`);
        const { total, errors } = w?.sum(nowSecond, rule.window_seconds) ?? { total: 0, errors: 0 };
        return { total, rate: total > 0 ? errors / total : 0 };
      };
      const base = rate(stable[0]);
      for (const [version] of weighted) {
        if (version === stable[0]) continue;
        const canary = rate(version);
        if (canary.total < rule.min_requests || canary.rate <= base.rate + rule.margin) continue;
        const event = {
          version,
          at: new Date(this.#now()).toISOString(),
          error_rate: round(canary.rate),
          stable_version: stable[0],
          stable_error_rate: round(base.rate),
        };
        let done = false;
        try {
          done = await this.#policies.rollback(record.model, event);
        } catch (err) {
          this.#logger.warn({ err, model: record.model, version }, 'automatic rollback failed');
        }
        if (done) {
          rolled.push(`${record.model}@${version}`);
          this.#rolledBack(record.model, version);
          this.#windows.delete(`${record.model}\u0000${version}`);
          this.#logger.warn(
            { model: record.model, ...event, window_seconds: rule.window_seconds },
            'automatic rollback: the canary fails more than the stable version; its weight is now 0',
          );
        }
      }
    }
    return rolled;
  }
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
