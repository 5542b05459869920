import {
  isModelName,
  isModelVersion,
  type ModelSpec,
  modelOfQueue,
  modelQueue,
  parseManifest,
} from '@mlapi/contracts';

/** The part of @mlapi/rpc's PresenceTracker the registry reads. */
export interface PresenceSource {
  services(): string[];
  meta(service: string): unknown;
  liveInstances(service: string): number;
  /** When present, the registry rebuilds its index only after a 'change'. */
  on?(event: 'change', listener: () => void): unknown;
  /** Milliseconds since presence last heard anything; absent: a source that cannot go deaf. */
  silentForMs?(): number;
}

/**
 * Known models, their versions and their live workers. Each (model, version) is its own presence
 * service, `mlapi.<model>.<version>`, so versions come and go independently.
 */
export interface ModelRegistry {
  /** Every model with a version ever announced, sorted by name. */
  models(): string[];
  /** The versions of a model ever announced, in natural order ("2" before "10"); [] if unknown. */
  versions(model: string): readonly string[];
  /** The spec of one announced version; undefined: unknown model or version. */
  get(model: string, version: string): ModelSpec | undefined;
  /** Live workers of one version, or of every version of the model together. */
  liveWorkers(model: string, version?: string): number;
  /** Milliseconds since presence last heard anything (0 for a source that cannot go deaf). */
  silentForMs(): number;
  /**
   * Aliases the manifests declare, alias → model, without the refused ones (see
   * {@link ManifestAliasRefusal}). Absent: this registry reads no manifest aliases.
   */
  manifestAliases?(): ReadonlyMap<string, string>;
  /** Calls `listener` once per refused manifest alias claim. */
  onAliasRefused?(listener: (refusal: ManifestAliasRefusal) => void): void;
}

/**
 * A manifest alias the gateway will not serve: it is a model's own name (`shadows_model`), or
 * another model claimed it first (`claimed`, `owner` names that model).
 */
export interface ManifestAliasRefusal {
  readonly alias: string;
  readonly model: string;
  readonly reason: 'shadows_model' | 'claimed';
  readonly owner: string;
}

/** Natural order of version strings: "1" < "2" < "10" < "10.1". */
export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * A registry over presence announcements. Workers send `{manifest}` as their meta; each meta
 * object is parsed once (memoised by identity), so lookups on the hot path are map reads. The
 * model → versions index is rebuilt only when presence reports a change.
 */
export class PresenceRegistry implements ModelRegistry {
  readonly #source: PresenceSource;
  readonly #parsed = new WeakMap<object, ModelSpec | null>();
  #index: Map<string, string[]> | null = null;
  #aliases = new Map<string, string>();
  // Claims already reported, so a rebuild does not report (and count) the same refusal again.
  readonly #reported = new Set<string>();
  readonly #refusalListeners: ((refusal: ManifestAliasRefusal) => void)[] = [];

  constructor(source: PresenceSource) {
    this.#source = source;
    source.on?.('change', () => {
      this.#index = null;
    });
  }

  models(): string[] {
    return [...this.#versionIndex().keys()].sort();
  }

  versions(model: string): readonly string[] {
    return this.#versionIndex().get(model) ?? [];
  }

  get(model: string, version: string): ModelSpec | undefined {
    if (!isModelName(model) || !isModelVersion(version)) return undefined;
    const meta = this.#source.meta(modelQueue(model, version));
    if (typeof meta !== 'object' || meta === null) return undefined;
    let spec = this.#parsed.get(meta);
    if (spec === undefined) {
      spec = specOf((meta as { manifest?: unknown }).manifest, model, version);
      this.#parsed.set(meta, spec);
    }
    return spec ?? undefined;
  }

  silentForMs(): number {
    return this.#source.silentForMs?.() ?? 0;
  }

  liveWorkers(model: string, version?: string): number {
    if (version !== undefined) {
      return isModelName(model) && isModelVersion(version)
        ? this.#source.liveInstances(modelQueue(model, version))
        : 0;
    }
    let live = 0;
    for (const v of this.versions(model)) live += this.#source.liveInstances(modelQueue(model, v));
    return live;
  }

  manifestAliases(): ReadonlyMap<string, string> {
    this.#versionIndex();
    return this.#aliases;
  }

  onAliasRefused(listener: (refusal: ManifestAliasRefusal) => void): void {
    this.#refusalListeners.push(listener);
  }

  #versionIndex(): Map<string, string[]> {
    // Without change events the index cannot be trusted between calls.
    if (this.#index !== null && this.#source.on !== undefined) return this.#index;
    const index = new Map<string, string[]>();
    for (const service of this.#source.services()) {
      const ref = modelOfQueue(service);
      if (ref === undefined || this.get(ref.model, ref.version) === undefined) continue;
      const list = index.get(ref.model);
      if (list === undefined) index.set(ref.model, [ref.version]);
      else list.push(ref.version);
    }
    for (const list of index.values()) list.sort(compareVersions);
    this.#index = index;
    this.#aliases = this.#claimAliases(index);
    return index;
  }

  /**
   * Who holds each manifest alias. The first model to claim one keeps it for as long as it still
   * declares it; a later claimer is refused, as is any claim on a model's own name.
   */
  #claimAliases(index: Map<string, string[]>): Map<string, string> {
    const claims = new Map<string, string[]>();
    for (const [model, versions] of index) {
      for (const version of versions) {
        for (const alias of this.get(model, version)?.aliases ?? []) {
          const claimers = claims.get(alias);
          if (claimers === undefined) claims.set(alias, [model]);
          else if (!claimers.includes(model)) claimers.push(model);
        }
      }
    }
    const owners = new Map<string, string>();
    for (const [alias, claimers] of claims) {
      if (index.has(alias)) {
        for (const model of claimers)
          this.#refuse({ alias, model, reason: 'shadows_model', owner: alias });
        continue;
      }
      const previous = this.#aliases.get(alias);
      const owner =
        previous !== undefined && claimers.includes(previous) ? previous : (claimers[0] as string);
      owners.set(alias, owner);
      for (const model of claimers) {
        if (model !== owner) this.#refuse({ alias, model, reason: 'claimed', owner });
      }
    }
    return owners;
  }

  #refuse(refusal: ManifestAliasRefusal): void {
    const key = `${refusal.alias}\u0000${refusal.model}\u0000${refusal.reason}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    for (const listener of this.#refusalListeners) listener(refusal);
  }
}

/** The spec of an announced manifest, or null when it is not one we can serve as model@version. */
function specOf(manifest: unknown, model: string, version: string): ModelSpec | null {
  try {
    const { spec } = parseManifest(manifest);
    // A manifest announced under another queue's name is not this model version.
    return spec.name === model && spec.version === version ? spec : null;
  } catch {
    return null;
  }
}
