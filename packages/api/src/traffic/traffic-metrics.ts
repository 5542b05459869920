import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ModelRegistry } from '../registry.js';
import type { RouterEvents, TrafficRouter } from './router.js';

/** How a sampled shadow call ended. */
export type ShadowOutcome = 'compared' | 'shadow_error' | 'primary_error' | 'dropped' | 'no_worker';

/** Traffic, shadow and rollback metrics, on the gateway's registry. */
export class TrafficMetrics implements RouterEvents {
  readonly fallbacks: Counter<'model_name' | 'model_version'>;
  readonly rollbacks: Counter<'model_name' | 'model_version'>;
  readonly shadowRequests: Counter<'model_name' | 'model_version' | 'shadow_version' | 'outcome'>;
  readonly shadowRows: Counter<'model_name' | 'model_version' | 'shadow_version' | 'agreement'>;
  readonly shadowLatencyDifference: Histogram<'model_name' | 'model_version' | 'shadow_version'>;
  readonly policyStoreErrors: Counter;

  constructor(registry: Registry, models: ModelRegistry, router: () => TrafficRouter | null) {
    const registers = [registry];
    this.fallbacks = new Counter({
      name: 'model_traffic_fallback_total',
      help: 'Requests whose assigned version had no live worker and went to another version',
      labelNames: ['model_name', 'model_version'],
      registers,
    });
    this.rollbacks = new Counter({
      name: 'model_traffic_rollbacks_total',
      help: 'Automatic rollbacks: the version whose weight this gateway set to 0',
      labelNames: ['model_name', 'model_version'],
      registers,
    });
    this.shadowRequests = new Counter({
      name: 'model_shadow_requests_total',
      help: 'Sampled shadow calls by outcome (compared, shadow_error, primary_error, dropped, no_worker)',
      labelNames: ['model_name', 'model_version', 'shadow_version', 'outcome'],
      registers,
    });
    this.shadowRows = new Counter({
      name: 'model_shadow_rows_total',
      help: 'Rows answered by both versions, by whether the predicted label was the same',
      labelNames: ['model_name', 'model_version', 'shadow_version', 'agreement'],
      registers,
    });
    this.shadowLatencyDifference = new Histogram({
      name: 'model_shadow_latency_difference_seconds',
      help: "Shadow version's latency minus the serving version's, per compared call",
      labelNames: ['model_name', 'model_version', 'shadow_version'],
      buckets: [-1, -0.1, -0.025, -0.01, -0.005, -0.001, 0, 0.001, 0.005, 0.01, 0.025, 0.1, 1],
      registers,
    });
    this.policyStoreErrors = new Counter({
      name: 'traffic_policy_store_errors_total',
      help: 'Failed reads or writes of the traffic policy store (the last policies read stay in force)',
      registers,
    });
    new Gauge({
      name: 'model_traffic_share',
      help: 'Share of callers each version serves now (0-1); role is stable (the largest) or canary',
      labelNames: ['model_name', 'model_version', 'role'],
      registers,
      collect() {
        this.reset();
        const r = router();
        if (r === null) return;
        for (const model of models.models()) {
          const shares = r.shares(model);
          let stable = shares[0];
          for (const s of shares) if (stable === undefined || s.share >= stable.share) stable = s;
          for (const s of shares) {
            const role = s === stable ? 'stable' : 'canary';
            this.set({ model_name: model, model_version: s.version, role }, s.share);
          }
        }
      },
    });
  }

  fallback(model: string, version: string): void {
    this.fallbacks.inc({ model_name: model, model_version: version });
  }

  shadowSkipped(model: string, version: string, shadowVersion: string): void {
    this.shadow(model, version, shadowVersion, 'no_worker');
  }

  shadow(model: string, version: string, shadowVersion: string, outcome: ShadowOutcome): void {
    this.shadowRequests.inc({
      model_name: model,
      model_version: version,
      shadow_version: shadowVersion,
      outcome,
    });
  }
}
