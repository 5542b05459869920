import {
  isModelName,
  isModelVersion,
  type ModelSpec,
  stickyBucket,
  TRAFFIC_BUCKETS,
} from '@mlapi/contracts';
import type { AliasTarget } from '../aliases/model-aliases.js';
import { ApiError } from '../errors.js';
import { compareVersions, type ModelRegistry } from '../registry.js';
import { type BucketRange, ownerOf, pickWeighted, rangesOfWeighted } from './allocation.js';
import type { PolicyStore, TrafficRecord } from './policy-store.js';

/** Which version serves a request, and which one (if any) shadows it. */
export interface VersionChoice {
  readonly spec: ModelSpec;
  readonly shadow: ModelSpec | null;
}

/** What the router reports; the gateway's metrics implement it. */
export interface RouterEvents {
  /** A caller's assigned version had no live worker; it was served by another. */
  fallback(model: string, version: string): void;
  /** A sampled shadow call was not made because its version has no live worker. */
  shadowSkipped(model: string, version: string, shadowVersion: string): void;
}

/** What a name a caller sent resolves to (aliases/model-aliases.ts). */
export interface AliasResolver {
  /** undefined: `name` is no alias (a model name, or unknown). */
  resolve(name: string): AliasTarget | undefined;
}

/** A (model, version?) after alias resolution. */
export interface ResolvedName {
  readonly model: string;
  /** The version asked for, or the one the alias pins; undefined: the traffic policy picks. */
  readonly version: string | undefined;
}

export interface TrafficRouterOptions {
  registry: ModelRegistry;
  store: PolicyStore;
  /** Resolves aliases before anything else; null: names are model names only. */
  aliases?: AliasResolver | null;
  events?: RouterEvents | null;
  /** [0, 1); tests pass their own. Default Math.random. */
  random?: () => number;
}

/** One version's part of a model's traffic right now. */
export interface VersionShare {
  readonly version: string;
  readonly live_workers: number;
  /** Fraction of callers (sticky buckets) it serves now, after live-worker fallback. */
  readonly share: number;
}

type Weighted = (readonly [string, number])[];

/**
 * Resolves (model, version?) to the version that serves a request: the one asked for, else the
 * model's traffic policy by the caller's sticky bucket, else (no policy) each live version in
 * proportion to its live workers. Every route family resolves here, so aliases resolve here too,
 * first, and everything after (cache, metrics, queues) sees only the real model and version.
 */
export class TrafficRouter {
  readonly #registry: ModelRegistry;
  readonly #store: PolicyStore;
  readonly #aliases: AliasResolver | null;
  readonly #events: RouterEvents | null;
  readonly #random: () => number;

  constructor(options: TrafficRouterOptions) {
    this.#registry = options.registry;
    this.#store = options.store;
    this.#aliases = options.aliases ?? null;
    this.#events = options.events ?? null;
    this.#random = options.random ?? Math.random;
  }

  /**
   * The model (and version) a name the caller sent stands for: itself, or what its alias names.
   * @throws ApiError BAD_INPUT when an explicit version contradicts the version an alias pins
   */
  resolve(name: string, version?: string): ResolvedName {
    const target = this.#aliases?.resolve(name);
    if (target === undefined) return { model: name, version };
    if (target.version === null) return { model: target.model, version };
    if (version !== undefined && version !== target.version) {
      throw new ApiError(
        'BAD_INPUT',
        `alias "${name}" names version "${target.version}" of "${target.model}", not "${version}"`,
      );
    }
    return { model: target.model, version: target.version };
  }

  /**
   * @throws ApiError BAD_INPUT (bad name), UNKNOWN_MODEL, NOT_FOUND (no such version), or
   *   UNAVAILABLE (the policy's versions all lack live workers)
   */
  choose(name: string, asked: string | undefined, caller: string): VersionChoice {
    const { model, version } = this.resolve(name, asked);
    const versions = this.#versionsOf(model);
    if (version !== undefined) return { spec: this.#explicit(model, version), shadow: null };
    const record = this.#store.get(model);
    const chosen =
      record === undefined
        ? this.#byWorkers(model, versions, caller)
        : this.#byPolicy(model, record, caller);
    const spec = this.#registry.get(model, chosen) as ModelSpec;
    return { spec, shadow: record === undefined ? null : this.#shadowOf(record, chosen) };
  }

  /** The spec of an explicitly named version. @throws like {@link choose} */
  version(name: string, asked: string): ModelSpec {
    const { model, version } = this.resolve(name, asked);
    this.#versionsOf(model);
    return this.#explicit(model, version as string);
  }

  /**
   * The version that describes a model in metadata routes: the policy's heaviest version, else
   * the one with the most live workers, else the newest; ties go to the newest.
   * @throws ApiError BAD_INPUT or UNKNOWN_MODEL
   */
  primary(name: string): ModelSpec {
    const { model, version: pinned } = this.resolve(name);
    const versions = this.#versionsOf(model);
    if (pinned !== undefined) return this.#explicit(model, pinned);
    const record = this.#store.get(model);
    let best = versions.at(-1) as string;
    let bestScore = -1;
    // Ascending order with >=: ties go to the newest.
    for (const v of versions) {
      const score =
        record !== undefined
          ? (record.policy.weights[v] ?? 0)
          : this.#registry.liveWorkers(model, v);
      if (score >= bestScore) {
        best = v;
        bestScore = score;
      }
    }
    return this.#registry.get(model, best) as ModelSpec;
  }

  /** True when a request (for that version, if given) would find a live worker. */
  ready(name: string, asked?: string): boolean {
    const { model, version } = this.resolve(name, asked);
    if (version !== undefined) return this.#registry.liveWorkers(model, version) > 0;
    const record = this.#store.get(model);
    if (record === undefined) return this.#registry.liveWorkers(model) > 0;
    return this.#liveWeighted(model, record, null).length > 0;
  }

  /** Each known version's live workers and share of callers now. @throws like {@link primary} */
  shares(model: string): VersionShare[] {
    const versions = this.#versionsOf(model);
    const record = this.#store.get(model);
    const counts = new Map<string, number>();
    const add = (version: string | undefined, n: number) => {
      if (version !== undefined) counts.set(version, (counts.get(version) ?? 0) + n);
    };
    if (record === undefined) {
      const live = this.#liveByWorkers(model, versions);
      for (let b = 0; b < TRAFFIC_BUCKETS; b++) add(pickWeighted(live, b), 1);
    } else {
      // Whole ranges at once; only a range whose version has no live worker is walked.
      for (const range of record.buckets) {
        if (this.#live(model, range.version)) {
          add(range.version, range.to - range.from);
          continue;
        }
        const others = this.#liveWeighted(model, record, range.version);
        for (let b = range.from; b < range.to; b++) add(pickWeighted(others, b), 1);
      }
    }
    return versions.map((version) => ({
      version,
      live_workers: this.#registry.liveWorkers(model, version),
      share: (counts.get(version) ?? 0) / TRAFFIC_BUCKETS,
    }));
  }

  /**
   * The buckets callers hold now when no policy is set (each live version in proportion to its
   * workers), so that setting a first policy moves as few of them as it must.
   */
  defaultRanges(model: string): BucketRange[] {
    const live = this.#liveByWorkers(model, this.#versionsOf(model));
    return rangesOfWeighted(live);
  }

  #versionsOf(model: string): readonly string[] {
    if (!isModelName(model)) throw new ApiError('BAD_INPUT', 'invalid model name');
    const versions = this.#registry.versions(model);
    if (versions.length === 0) throw new ApiError('UNKNOWN_MODEL', `no model named "${model}"`);
    return versions;
  }

  #explicit(model: string, version: string): ModelSpec {
    if (!isModelVersion(version)) throw new ApiError('BAD_INPUT', 'invalid model version');
    const spec = this.#registry.get(model, version);
    if (spec === undefined) {
      throw new ApiError('NOT_FOUND', `model "${model}" has no version "${version}"`);
    }
    return spec;
  }

  #liveByWorkers(model: string, versions: readonly string[]): Weighted {
    const live: Weighted = [];
    for (const v of versions) {
      const workers = this.#registry.liveWorkers(model, v);
      if (workers > 0) live.push([v, workers]);
    }
    return live;
  }

  #byWorkers(model: string, versions: readonly string[], caller: string): string {
    const live = this.#liveByWorkers(model, versions);
    // No live version: the newest answers 503 in the predictor, with the version named.
    if (live.length === 0) return versions.at(-1) as string;
    if (live.length === 1) return (live[0] as Weighted[number])[0];
    return pickWeighted(live, stickyBucket(caller, model)) as string;
  }

  #byPolicy(model: string, record: TrafficRecord, caller: string): string {
    const weights = record.policy.weights;
    // One version with weight is the common steady state: no hashing needed.
    let only: string | undefined;
    let weighted = 0;
    for (const v in weights) {
      if ((weights[v] as number) > 0) {
        weighted++;
        only = v;
      }
    }
    if (weighted === 1 && only !== undefined && this.#live(model, only)) return only;
    return this.#policyOwner(model, record, stickyBucket(caller, model));
  }

  /** @throws ApiError UNAVAILABLE when no version with weight has a live worker */
  #policyOwner(model: string, record: TrafficRecord, bucket: number): string {
    const owner = ownerOf(record.buckets, bucket);
    if (owner !== undefined && this.#live(model, owner)) return owner;
    const candidates = this.#liveWeighted(model, record, owner ?? null);
    if (candidates.length === 0) {
      throw new ApiError(
        'UNAVAILABLE',
        `no version that the traffic policy of "${model}" serves has a live worker`,
      );
    }
    if (owner !== undefined) this.#events?.fallback(model, owner);
    return pickWeighted(candidates, bucket) as string;
  }

  #liveWeighted(model: string, record: TrafficRecord, except: string | null): Weighted {
    const out: Weighted = [];
    for (const [v, w] of Object.entries(record.policy.weights)) {
      if (w > 0 && v !== except && this.#live(model, v)) out.push([v, w]);
    }
    return out.sort((a, b) => compareVersions(a[0], b[0]));
  }

  #live(model: string, version: string): boolean {
    return (
      this.#registry.liveWorkers(model, version) > 0 &&
      this.#registry.get(model, version) !== undefined
    );
  }

  #shadowOf(record: TrafficRecord, chosen: string): ModelSpec | null {
    const shadow = record.policy.shadow;
    if (shadow === null || shadow.version === chosen || shadow.percent <= 0) return null;
    if (shadow.percent < 100 && this.#random() * 100 >= shadow.percent) return null;
    if (!this.#live(record.model, shadow.version)) {
      this.#events?.shadowSkipped(record.model, chosen, shadow.version);
      return null;
    }
    return this.#registry.get(record.model, shadow.version) ?? null;
  }
}
