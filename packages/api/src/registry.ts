import { type ModelManifest, parseManifest } from './manifest.js';
import { modelQueue } from './model-name.js';

/** The part of @mlapi/rpc's PresenceTracker the registry reads. */
export interface PresenceSource {
  services(): string[];
  meta(service: string): unknown;
  liveInstances(service: string): number;
}

/** Known models and their live workers. */
export interface ModelRegistry {
  /** The manifest of a model ever announced; undefined: unknown model. */
  get(name: string): ModelManifest | undefined;
  list(): ModelManifest[];
  liveWorkers(name: string): number;
}

const PREFIX = 'mlapi.';

/**
 * A registry over presence announcements. Workers send `{manifest}` as their meta; each meta
 * object is parsed once (memoised by identity), so lookups on the hot path are a map read.
 */
export class PresenceRegistry implements ModelRegistry {
  readonly #source: PresenceSource;
  readonly #parsed = new WeakMap<object, ModelManifest | null>();

  constructor(source: PresenceSource) {
    this.#source = source;
  }

  get(name: string): ModelManifest | undefined {
    const meta = this.#source.meta(modelQueue(name));
    if (typeof meta !== 'object' || meta === null) return undefined;
    let manifest = this.#parsed.get(meta);
    if (manifest === undefined) {
      const parsed = parseManifest((meta as { manifest?: unknown }).manifest);
      // A manifest announced under another queue's name is not this model.
      manifest = parsed !== undefined && parsed.name === name ? parsed : null;
      this.#parsed.set(meta, manifest);
    }
    return manifest ?? undefined;
  }

  list(): ModelManifest[] {
    const out: ModelManifest[] = [];
    for (const service of this.#source.services()) {
      if (!service.startsWith(PREFIX)) continue;
      const manifest = this.get(service.slice(PREFIX.length));
      if (manifest !== undefined) out.push(manifest);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  liveWorkers(name: string): number {
    return this.#source.liveInstances(modelQueue(name));
  }
}
