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
    return index;
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
