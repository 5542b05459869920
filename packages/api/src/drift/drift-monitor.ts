import type { ModelSpec } from '@mlapi/contracts';
import { Counter, Gauge, type Registry } from 'prom-client';
import { DriftWindow } from './drift-window.js';

export interface DriftMonitorOptions {
  /** Where the drift metrics are registered (the gateway's registry). */
  registry: Registry;
  /** Length of one PSI window; the gauge covers the current and the previous one. */
  windowMs: number;
  /** Fewer recent rows than this: no PSI is reported (a handful of rows is only noise). */
  minRows: number;
  /** Epoch ms. Default Date.now. */
  now?: () => number;
}

/**
 * Live inputs and predictions binned per (model, version) against each version's training
 * profile (`drift` in model.json). Every answer is recorded, cached ones included, so each
 * replica's figures describe its whole traffic.
 *
 * Two kinds of figures: bin counters and the reference shares (model_input_bin_total,
 * model_reference_bin_ratio, and the same for classes), from which Prometheus can compute drift
 * across every replica; and a per-replica gauge model_input_drift_psi for a quick look.
 */
export class DriftMonitor {
  readonly #windows = new Map<string, Map<string, DriftWindow | null>>();
  readonly #windowMs: number;
  readonly #minRows: number;
  readonly #now: () => number;
  readonly #referenceBins: Gauge<'model_name' | 'model_version' | 'feature' | 'bin'>;
  readonly #referenceClasses: Gauge<'model_name' | 'model_version' | 'class'>;

  constructor(options: DriftMonitorOptions) {
    this.#windowMs = options.windowMs;
    this.#minRows = options.minRows;
    this.#now = options.now ?? Date.now;
    const registers = [options.registry];
    const each = (visit: (name: string, version: string, window: DriftWindow) => void): void => {
      for (const [name, versions] of this.#windows) {
        for (const [version, window] of versions) if (window !== null) visit(name, version, window);
      }
    };
    const now = this.#now;
    const minRows = this.#minRows;
    // Counters are brought up to the windows' totals at scrape time: a row costs array
    // increments, never a labelled counter lookup.
    new Counter({
      name: 'model_input_bin_total',
      help: 'Live input values per feature bin (bins of the training profile), this replica',
      labelNames: ['model_name', 'model_version', 'feature', 'bin'],
      registers,
      collect() {
        each((name, version, w) => {
          w.profile.features.forEach((f, i) => {
            for (let b = 0; b < f.counts.length; b++) {
              const slot = (w.offsets[i] as number) + b;
              const delta = (w.total[slot] as number) - (w.exported[slot] as number);
              const labels = { model_name: name, model_version: version, feature: f.name };
              // Every bin is shown from the start, at 0, so ratios over bins are complete.
              this.inc({ ...labels, bin: String(b) }, delta);
              w.exported[slot] = w.total[slot] as number;
            }
          });
        });
      },
    });
    new Counter({
      name: 'model_prediction_class_total',
      help: 'Predicted rows per class, cached answers included, this replica',
      labelNames: ['model_name', 'model_version', 'class'],
      registers,
      collect() {
        each((name, version, w) => {
          for (let c = 0; c < w.profile.classes.length; c++) {
            const slot = w.classOffset + c;
            const delta = (w.total[slot] as number) - (w.exported[slot] as number);
            this.inc({ model_name: name, model_version: version, class: String(c) }, delta);
            w.exported[slot] = w.total[slot] as number;
          }
        });
      },
    });
    this.#referenceBins = new Gauge({
      name: 'model_reference_bin_ratio',
      help: 'Share of the training rows in each feature bin (the reference profile)',
      labelNames: ['model_name', 'model_version', 'feature', 'bin'],
      registers,
    });
    this.#referenceClasses = new Gauge({
      name: 'model_reference_class_ratio',
      help: 'Share of the training rows in each class (the reference profile)',
      labelNames: ['model_name', 'model_version', 'class'],
      registers,
    });
    new Gauge({
      name: 'model_input_drift_psi',
      help: 'PSI of recent live inputs against the training profile, per feature, this replica',
      labelNames: ['model_name', 'model_version', 'feature'],
      registers,
      collect() {
        this.reset();
        each((name, version, w) => {
          if (w.recentRows(now()) < minRows) return;
          w.profile.features.forEach((f, i) => {
            this.set(
              { model_name: name, model_version: version, feature: f.name },
              w.featurePsi(i),
            );
          });
        });
      },
    });
    new Gauge({
      name: 'model_prediction_drift_psi',
      help: 'PSI of recent predicted classes against the training labels, this replica',
      labelNames: ['model_name', 'model_version'],
      registers,
      collect() {
        this.reset();
        each((name, version, w) => {
          if (w.recentRows(now()) < minRows) return;
          this.set({ model_name: name, model_version: version }, w.classPsi());
        });
      },
    });
  }

  /** Records one answer of `spec`'s model at `version`; a version with no profile is skipped. */
  record(
    spec: ModelSpec,
    version: string,
    rows: readonly (readonly number[])[],
    predictions: readonly number[],
  ): void {
    const window = this.#window(spec, version);
    if (window !== null) window.record(rows, predictions, this.#now());
  }

  /** The per-replica PSI of each feature, as the gauge would show it; null below minRows. */
  psi(name: string, version: string): Record<string, number> | null {
    const w = this.#windows.get(name)?.get(version) ?? null;
    if (w === null || w.recentRows(this.#now()) < this.#minRows) return null;
    const out: Record<string, number> = {};
    w.profile.features.forEach((f, i) => {
      out[f.name] = w.featurePsi(i);
    });
    return out;
  }

  #window(spec: ModelSpec, version: string): DriftWindow | null {
    let versions = this.#windows.get(spec.name);
    if (versions === undefined) {
      versions = new Map();
      this.#windows.set(spec.name, versions);
    }
    let window = versions.get(version);
    if (window === undefined) {
      // The profile is the spec's own version's; an answer from another version (a rollout
      // mid-flight) is not recorded against it, nor remembered as profile-less.
      if (spec.version !== version) return null;
      const profile = spec.drift;
      window = profile === null ? null : new DriftWindow(profile, this.#windowMs, this.#now());
      versions.set(version, window);
      if (window !== null) this.#publishReference(spec.name, version, window);
    }
    return window;
  }

  #publishReference(name: string, version: string, w: DriftWindow): void {
    const { features, classes, rows } = w.profile;
    for (const f of features) {
      f.counts.forEach((count, b) => {
        const labels = {
          model_name: name,
          model_version: version,
          feature: f.name,
          bin: String(b),
        };
        this.#referenceBins.set(labels, count / rows);
      });
    }
    classes.forEach((count, c) => {
      const labels = { model_name: name, model_version: version, class: String(c) };
      this.#referenceClasses.set(labels, count / rows);
    });
  }
}
