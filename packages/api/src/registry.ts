import {
  isModelName,
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
}

/** Known models and their live workers. */
export interface ModelRegistry {
  /** The spec of a model ever announced; undefined: unknown model. */
  get(name: string): ModelSpec | undefined;
  list(): ModelSpec[];
  liveWorkers(name: string): number;
}

/**
 * A registry over presence announcements. Workers send `{manifest}` as their meta; each meta
 * object is parsed once (memoised by identity), so lookups on the hot path are a map read.
 */
export class PresenceRegistry implements ModelRegistry {
  readonly #source: PresenceSource;
  readonly #parsed = new WeakMap<object, ModelSpec | null>();

  constructor(source: PresenceSource) {
    this.#source = source;
  }

  get(name: string): ModelSpec | undefined {
    if (!isModelName(name)) return undefined;
    const meta = this.#source.meta(modelQueue(name));
    if (typeof meta !== 'object' || meta === null) return undefined;
    let spec = this.#parsed.get(meta);
    if (spec === undefined) {
      spec = specOf((meta as { manifest?: unknown }).manifest, name);
      this.#parsed.set(meta, spec);
    }
    return spec ?? undefined;
  }

  list(): ModelSpec[] {
    const out: ModelSpec[] = [];
    for (const service of this.#source.services()) {
      const name = modelOfQueue(service);
      const spec = name === undefined ? undefined : this.get(name);
      if (spec !== undefined) out.push(spec);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  liveWorkers(name: string): number {
    return isModelName(name) ? this.#source.liveInstances(modelQueue(name)) : 0;
  }
}

/** The spec of an announced manifest, or null when it is not one we can serve as `name`. */
function specOf(manifest: unknown, name: string): ModelSpec | null {
  try {
    const { spec } = parseManifest(manifest);
    // A manifest announced under another queue's name is not this model.
    return spec.name === name ? spec : null;
  } catch {
    return null;
  }
}
