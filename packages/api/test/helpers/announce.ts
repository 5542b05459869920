import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { modelQueue } from '@mlapi/contracts';
import { PresencePublisher } from '@mlapi/rpc';
import type { Test } from 'tap';
import { AMQP_URL, ROOT } from './stack.js';

/**
 * Announces `name` at each of `versions` as a worker would (presence only, nobody consumes):
 * enough for the gateway to know the versions, so traffic policies naming them can be set.
 * Stopped at teardown.
 */
export async function announceVersions(t: Test, name: string, versions: string[]): Promise<void> {
  const base = JSON.parse(await readFile(join(ROOT, 'models', 'fast', 'model.json'), 'utf8'));
  for (const version of versions) {
    const presence = new PresencePublisher({
      url: AMQP_URL,
      service: modelQueue(name, version),
      meta: () => ({ manifest: { ...base, name, version } }),
      ready: () => true,
      logger: null,
    });
    await presence.start();
    t.teardown(() => presence.stop());
  }
}

/** The value of an unlabelled series in the gateway's /metrics text; undefined when absent. */
export function seriesValue(metricsText: string, name: string): number | undefined {
  const line = metricsText.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}
