import { parseTrafficPolicy, type TrafficPolicy, TrafficPolicyError } from '@mlapi/contracts';
import { ApiError } from '../errors.js';
import { compareVersions, type ModelRegistry } from '../registry.js';
import { stateWriteError } from '../state/state-errors.js';
import { type BucketRange, reallocate } from './allocation.js';
import type { PolicyStore, RollbackEvent, TrafficRecord } from './policy-store.js';
import type { TrafficRouter, VersionShare } from './router.js';

/** What `GET|PUT|DELETE /admin/models/{m}/traffic` answer. */
export interface TrafficView {
  readonly model: string;
  /** null: no policy; each live version serves in proportion to its live workers. */
  readonly policy: TrafficPolicy | null;
  /** 0 while no policy was ever stored; send it back in If-Match to update only that one. */
  readonly revision: number;
  readonly updated_at: string | null;
  readonly buckets: readonly BucketRange[];
  readonly rollbacks: readonly RollbackEvent[];
  readonly versions: readonly VersionShare[];
}

export interface TrafficPoliciesOptions {
  store: PolicyStore;
  router: TrafficRouter;
  registry: ModelRegistry;
  /** Default: the clock. */
  now?: () => Date;
}

/** Writes lose a compare-and-set race at most this often before the caller hears CONFLICT. */
const WRITE_ATTEMPTS = 3;
const ROLLBACKS_KEPT = 10;

/** Reading, setting and clearing traffic policies: the admin route's logic and rollback's. */
export class TrafficPolicies {
  readonly #store: PolicyStore;
  readonly #router: TrafficRouter;
  readonly #registry: ModelRegistry;
  readonly #now: () => Date;

  constructor(options: TrafficPoliciesOptions) {
    this.#store = options.store;
    this.#router = options.router;
    this.#registry = options.registry;
    this.#now = options.now ?? (() => new Date());
  }

  /** @throws ApiError BAD_INPUT or UNKNOWN_MODEL */
  view(model: string): TrafficView {
    const versions = this.#router.shares(model);
    const record = this.#store.get(model);
    return {
      model,
      policy: record?.policy ?? null,
      revision: record?.revision ?? 0,
      updated_at: record?.updated_at ?? null,
      buckets: record?.buckets ?? this.#router.defaultRanges(model),
      rollbacks: record?.rollbacks ?? [],
      versions,
    };
  }

  /**
   * Checks and stores a policy. `ifRevision` (from If-Match) makes it conditional.
   * @throws ApiError BAD_INPUT (bad or unknown version), UNKNOWN_MODEL, CONFLICT, UNAVAILABLE
   */
  async set(model: string, body: unknown, ifRevision?: number): Promise<TrafficView> {
    this.#router.primary(model);
    let policy: TrafficPolicy;
    try {
      policy = parseTrafficPolicy(body);
    } catch (err) {
      if (err instanceof TrafficPolicyError) throw new ApiError('BAD_INPUT', err.message);
      throw err;
    }
    const named = [
      ...Object.keys(policy.weights),
      ...(policy.shadow ? [policy.shadow.version] : []),
    ];
    for (const version of named) {
      if (this.#registry.get(model, version) === undefined) {
        throw new ApiError(
          'BAD_INPUT',
          `model "${model}" has no version "${version}" (known: ${this.#registry.versions(model).join(', ')})`,
        );
      }
    }
    await this.#write(model, ifRevision, (current) => ({
      model,
      policy,
      buckets: this.#buckets(model, current?.buckets ?? null, policy),
      revision: (current?.revision ?? 0) + 1,
      updated_at: this.#now().toISOString(),
      rollbacks: current?.rollbacks ?? [],
    }));
    return this.view(model);
  }

  /** Removes a model's policy. @throws like {@link set} */
  async clear(model: string, ifRevision?: number): Promise<TrafficView> {
    this.#router.primary(model);
    await this.#write(model, ifRevision, () => null);
    return this.view(model);
  }

  /**
   * Sets one version's weight to 0 (automatic rollback), unless that would leave no weight or it
   * has none already. Resolves whether it did.
   */
  async rollback(model: string, event: RollbackEvent): Promise<boolean> {
    const current = this.#store.get(model);
    const weight = current?.policy.weights[event.version] ?? 0;
    if (current === undefined || weight <= 0) return false;
    const weights = { ...current.policy.weights, [event.version]: 0 };
    if (Object.values(weights).every((w) => w <= 0)) return false;
    const policy: TrafficPolicy = Object.freeze({
      ...current.policy,
      weights: Object.freeze(weights),
    });
    const record: TrafficRecord = {
      ...current,
      policy,
      buckets: this.#buckets(model, current.buckets, policy),
      revision: current.revision + 1,
      updated_at: this.#now().toISOString(),
      rollbacks: [...current.rollbacks, event].slice(-ROLLBACKS_KEPT),
    };
    return this.#store.compareAndSet(model, current.revision, record);
  }

  /**
   * Stores policies read from a file at start (TRAFFIC_POLICY_FILE) for models that have none
   * yet. Their versions cannot be checked against workers that have not announced themselves.
   * @throws TrafficPolicyError naming the model and field of the first bad policy
   */
  async seed(policies: Readonly<Record<string, unknown>>): Promise<number> {
    const parsed: [string, TrafficPolicy][] = [];
    for (const [model, value] of Object.entries(policies)) {
      try {
        parsed.push([model, parseTrafficPolicy(value)]);
      } catch (err) {
        if (err instanceof TrafficPolicyError) {
          throw new TrafficPolicyError(`${model}.${err.field}`, err.message);
        }
        throw err;
      }
    }
    let stored = 0;
    for (const [model, policy] of parsed) {
      const record: TrafficRecord = {
        model,
        policy,
        buckets: reallocate(
          null,
          sortedWeights(policy),
          Object.keys(policy.weights).sort(compareVersions),
        ),
        revision: 1,
        updated_at: this.#now().toISOString(),
        rollbacks: [],
      };
      if (await this.#store.compareAndSet(model, 0, record)) stored++;
    }
    return stored;
  }

  #buckets(model: string, previous: readonly BucketRange[] | null, policy: TrafficPolicy) {
    // Without a stored policy, callers are where the workers-proportional default put them.
    const from = previous ?? this.#router.defaultRanges(model);
    const order = [...new Set([...this.#registry.versions(model), ...Object.keys(policy.weights)])];
    return reallocate(from, sortedWeights(policy), order.sort(compareVersions));
  }

  async #write(
    model: string,
    ifRevision: number | undefined,
    next: (current: TrafficRecord | undefined) => TrafficRecord | null,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = this.#store.get(model);
      const expected = current?.revision ?? 0;
      if (ifRevision !== undefined && ifRevision !== expected) {
        throw new ApiError(
          'CONFLICT',
          `the policy of "${model}" is at revision ${expected}, not ${ifRevision}; read it again`,
        );
      }
      let stored: boolean;
      try {
        stored = await this.#store.compareAndSet(model, expected, next(current));
      } catch (err) {
        // A full state Redis refuses the write (503 saying so); the policies in force stay.
        throw stateWriteError(err, 'the traffic policy');
      }
      if (stored) return;
      // Another replica wrote first; our copy is behind. Re-read and try again.
      if (ifRevision !== undefined || attempt >= WRITE_ATTEMPTS) {
        throw new ApiError('CONFLICT', `the policy of "${model}" changed meanwhile; read it again`);
      }
      await this.#store.refresh?.();
    }
  }
}

function sortedWeights(policy: TrafficPolicy): [string, number][] {
  return Object.entries(policy.weights).sort((a, b) => compareVersions(a[0], b[0]));
}
