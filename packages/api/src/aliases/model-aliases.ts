import { isModelName, isModelVersion } from '@mlapi/contracts';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { ApiError } from '../errors.js';
import type { ManifestAliasRefusal, ModelRegistry } from '../registry.js';
import type { AliasStore } from './alias-store.js';

/** What an alias names. */
export interface AliasTarget {
  readonly model: string;
  /** null: whichever version the model's traffic policy picks. */
  readonly version: string | null;
}

/** One alias as the listing routes show it. */
export interface AliasView extends AliasTarget {
  readonly alias: string;
  /** `manifest`: declared by the model's model.json; `admin`: set through the admin API. */
  readonly source: 'manifest' | 'admin';
  readonly updated_at: string | null;
}

export interface ModelAliasesOptions {
  registry: ModelRegistry;
  store: AliasStore;
  metricsRegistry: Registry;
  logger: Logger;
}

type RefusalReason = ManifestAliasRefusal['reason'];

/**
 * Every alias the gateway answers to: the manifests' (registry.ts decides who holds each) and
 * the ones set at run time, which win over a manifest's for the same model (that is how a name
 * such as `champion` is pinned to a version). A model name always wins over an alias, so an
 * alias can never take a model's traffic.
 */
export class ModelAliases {
  readonly #registry: ModelRegistry;
  readonly #store: AliasStore;
  readonly #log: Logger;
  readonly #refusals: Counter<'alias' | 'model_name' | 'source' | 'reason'>;

  constructor(options: ModelAliasesOptions) {
    this.#registry = options.registry;
    this.#store = options.store;
    this.#log = options.logger;
    this.#refusals = new Counter({
      name: 'model_alias_refusals_total',
      help: 'Alias claims refused: an alias shadowing a model name, or one another model holds',
      labelNames: ['alias', 'model_name', 'source', 'reason'],
      registers: [options.metricsRegistry],
    });
    this.#registry.onAliasRefused?.((refusal) => {
      this.#refusals.inc({
        ...this.#labels(refusal.alias, refusal.model, refusal.reason),
        source: 'manifest',
      });
      this.#log.warn(
        refusal,
        refusal.reason === 'claimed'
          ? `manifest alias "${refusal.alias}" of "${refusal.model}" refused: "${refusal.owner}" already holds it`
          : `manifest alias "${refusal.alias}" of "${refusal.model}" refused: it is a model name`,
      );
    });
  }

  /**
   * What `name` names when it is an alias; undefined for a model name or an unknown name. Called
   * on every request, so a model name costs one map read.
   */
  resolve(name: string): AliasTarget | undefined {
    if (this.#registry.versions(name).length > 0) return undefined;
    const record = this.#store.get(name);
    if (record !== undefined) return record;
    const model = this.#registry.manifestAliases?.().get(name);
    return model === undefined ? undefined : { model, version: null };
  }

  /** Every alias in force, sorted by name; an admin alias hides a manifest one of the same name. */
  list(): AliasView[] {
    const views = new Map<string, AliasView>();
    for (const [alias, model] of this.#registry.manifestAliases?.() ?? []) {
      views.set(alias, { alias, model, version: null, source: 'manifest', updated_at: null });
    }
    for (const r of this.#store.all()) {
      views.set(r.alias, { ...r, source: 'admin' });
    }
    return [...views.values()]
      .filter((v) => this.#registry.versions(v.alias).length === 0)
      .sort((a, b) => (a.alias < b.alias ? -1 : 1));
  }

  /** The aliases naming `model`. */
  of(model: string): AliasView[] {
    return this.list().filter((v) => v.model === model);
  }

  /**
   * Points `alias` at a model, or a model at one version.
   * @throws ApiError BAD_INPUT, UNKNOWN_MODEL, NOT_FOUND (no such version), or CONFLICT (the
   *   alias is a model name, or another model's manifest declares it); each refusal is counted
   */
  async set(alias: string, target: AliasTarget): Promise<AliasView> {
    if (!isModelName(alias)) throw new ApiError('BAD_INPUT', 'invalid alias');
    if (this.#registry.versions(alias).length > 0) {
      this.#refuse(alias, target.model, 'shadows_model');
      throw new ApiError('CONFLICT', `"${alias}" is a model name; an alias may not shadow it`);
    }
    const holder = this.#registry.manifestAliases?.().get(alias);
    if (holder !== undefined && holder !== target.model) {
      this.#refuse(alias, target.model, 'claimed');
      throw new ApiError(
        'CONFLICT',
        `alias "${alias}" is declared by the manifest of "${holder}"; it cannot name "${target.model}"`,
      );
    }
    if (!isModelName(target.model)) throw new ApiError('BAD_INPUT', 'invalid model name');
    const versions = this.#registry.versions(target.model);
    if (versions.length === 0) {
      throw new ApiError('UNKNOWN_MODEL', `no model named "${target.model}"`);
    }
    if (target.version !== null) {
      if (!isModelVersion(target.version)) throw new ApiError('BAD_INPUT', 'invalid model version');
      if (!versions.includes(target.version)) {
        throw new ApiError(
          'NOT_FOUND',
          `model "${target.model}" has no version "${target.version}"`,
        );
      }
    }
    const record = { alias, ...target, updated_at: new Date().toISOString() };
    await this.#write(alias, record);
    return { ...record, source: 'admin' };
  }

  /** Removes a run-time alias. @throws ApiError NOT_FOUND when none is set under that name */
  async clear(alias: string): Promise<void> {
    if (this.#store.get(alias) === undefined) {
      throw new ApiError('NOT_FOUND', `no alias "${alias}" was set through the admin API`);
    }
    await this.#write(alias, null);
  }

  async #write(alias: string, record: Parameters<AliasStore['set']>[1]): Promise<void> {
    try {
      await this.#store.set(alias, record);
    } catch (err) {
      throw new ApiError('UNAVAILABLE', 'the alias store is unreachable', { cause: err });
    }
  }

  #refuse(alias: string, model: string, reason: RefusalReason): void {
    this.#refusals.inc({ ...this.#labels(alias, model, reason), source: 'admin' });
  }

  /** A refused name is only a label when it passed the name pattern: callers cannot grow labels. */
  #labels(alias: string, model: string, reason: RefusalReason) {
    return {
      alias: isModelName(alias) ? alias : 'invalid',
      model_name: isModelName(model) ? model : 'invalid',
      reason,
    };
  }
}
