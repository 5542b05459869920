import { jobQueue } from '@mlapi/contracts';
import { Gauge, type Registry } from 'prom-client';
import type { QueueDepthSource } from '../console/queue-depth.js';
import type { ModelRegistry } from '../registry.js';

/**
 * `job_backlog_chunks{model_name, model_version}`: chunk messages waiting in each version's job
 * queue, read from the broker at scrape time. KEDA can scale workers on it (or on the queue
 * itself, `mlapi.<model>.<version>.jobs`); each chunk holds up to JOB_CHUNK_ROWS rows.
 */
export function registerBacklogMetric(
  metrics: Registry,
  registry: ModelRegistry,
  depth: QueueDepthSource,
): void {
  new Gauge({
    name: 'job_backlog_chunks',
    help: 'Job chunks waiting in the job queue of each model version',
    labelNames: ['model_name', 'model_version'] as const,
    registers: [metrics],
    async collect() {
      this.reset();
      const queues = new Map<string, { model_name: string; model_version: string }>();
      for (const model of registry.models()) {
        for (const version of registry.versions(model)) {
          queues.set(jobQueue(model, version), { model_name: model, model_version: version });
        }
      }
      if (queues.size === 0) return;
      const depths = await depth.depths([...queues.keys()]);
      for (const [queue, labels] of queues) {
        const n = depths.get(queue);
        if (n !== undefined) this.set(labels, n);
      }
    },
  });
}
