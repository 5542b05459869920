import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ModelSpec, parseManifest } from '@mlapi/contracts';
import { connect } from 'amqplib';
import t from 'tap';
import { LatencyHistogram } from '../src/console/latency-histogram.js';
import { ModelStats } from '../src/console/model-stats.js';
import { AmqpQueueDepth } from '../src/console/queue-depth.js';
import { createLogger } from '../src/logger.js';
import type { ModelRegistry } from '../src/registry.js';
import { AMQP_URL, ROOT, startGateway, unique } from './helpers/stack.js';

async function spec(name: string, version = '1'): Promise<ModelSpec> {
  const manifest = JSON.parse(await readFile(join(ROOT, 'models', 'fast', 'model.json'), 'utf8'));
  return parseManifest({ ...manifest, name, version }).spec;
}

/** A registry holding what the test puts in it (presence itself is tested elsewhere). */
function registryOf(models: Map<string, { spec: ModelSpec; workers: number }>): ModelRegistry {
  return {
    silentForMs: () => 0,
    models: () => [...models.keys()].sort(),
    versions: (name) => {
      const m = models.get(name);
      return m === undefined ? [] : [m.spec.version];
    },
    get: (name, version) => {
      const m = models.get(name);
      return m !== undefined && m.spec.version === version ? m.spec : undefined;
    },
    liveWorkers: (name) => models.get(name)?.workers ?? 0,
  };
}

t.test('latency quantiles are within 4% whatever the spread', async (t) => {
  const h = new LatencyHistogram();
  t.equal(h.quantile(0.5), null, 'no samples, no quantile');
  for (let ms = 1; ms <= 1000; ms++) h.add(ms);
  for (const [q, exact] of [
    [0.5, 500],
    [0.95, 950],
    [0.99, 990],
  ] as const) {
    const got = h.quantile(q) as number;
    t.ok(Math.abs(got - exact) / exact < 0.04, `p${q * 100} ${got.toFixed(1)} ~ ${exact}`);
  }
  const other = new LatencyHistogram();
  other.add(100_000); // beyond the last bin: counted there, never lost
  h.addAll(other);
  t.equal(h.total, 1001);
});

t.test(
  'stats are kept per (model, version) as answered, failures only for known models',
  async (t) => {
    let now = 1_000_000;
    const models = new Map([['alpha', { spec: await spec('alpha', '1'), workers: 2 }]]);
    const stats = new ModelStats({
      registry: registryOf(models),
      instance: 'gw-1',
      intervalMs: 1000,
      historyMs: 3000,
      summaryMs: 2000,
      now: () => now,
    });
    stats.success('alpha', '1', 10, false);
    stats.success('alpha', '1', 20, true);
    stats.success('alpha', '2', 30, false); // a canary answered: its own series
    stats.failure('alpha', '1', 503);
    stats.failure('alpha', '1', 400);
    now += 1000;
    stats.tick();
    const first = stats.snapshot();
    t.equal(first.instance, 'gw-1');
    t.same(
      first.series.map((s) => `${s.model_name}@${s.model_version}`),
      ['alpha@1', 'alpha@2'],
    );
    const [v1, v2] = first.series;
    t.equal(v1?.workers, 2, 'live workers from the registry');
    t.match(v1?.points[0], { t: 1_000_000, requests: 2, errors: 1, rejected: 1, cache_hits: 1 });
    t.equal(v1?.summary.error_rate, 0.25, 'one 5xx in four attempts');
    t.equal(v1?.summary.cache_hit_ratio, 0.5);
    t.equal(v1?.summary.request_rate, 2, 'two answers in one second');
    t.equal(v2?.points[0]?.requests, 1);
    t.equal(v1?.queue_depth, null, 'no depth source: unknown, not zero');

    // History is bounded; a series that left presence and stayed quiet for it is dropped.
    for (let i = 0; i < 5; i++) {
      now += 1000;
      stats.tick();
    }
    const later = stats.snapshot();
    t.same(
      later.series.map((s) => `${s.model_name}@${s.model_version}`),
      ['alpha@1'],
      'alpha@2 is gone: not announced and quiet for the whole history',
    );
    t.equal(later.series[0]?.points.length, 3, 'three intervals of 1 s in 3 s of history');
    t.equal(later.series[0]?.summary.requests, 0, 'the summary covers only the last 2 s');
  },
);

t.test('the series count is bounded', async (t) => {
  const stats = new ModelStats({ registry: registryOf(new Map()), instance: 'x', maxSeries: 2 });
  for (const v of ['1', '2', '3', '4']) stats.success('m', v, 1, false);
  stats.tick();
  t.equal(stats.snapshot().series.length, 2);
});

t.test(
  'queue depth comes from a passive declare; a missing queue does not stop the others',
  async (t) => {
    const conn = await connect(AMQP_URL);
    const ch = await conn.createChannel();
    const [a, b, missing] = [unique('t-depth-a'), unique('t-depth-b'), unique('t-depth-missing')];
    await ch.assertQueue(a, { autoDelete: false });
    await ch.assertQueue(b, { autoDelete: false });
    for (let i = 0; i < 3; i++) ch.sendToQueue(a, Buffer.from('x'));
    ch.sendToQueue(b, Buffer.from('x'));
    await ch.close();
    const probe = new AmqpQueueDepth({
      url: AMQP_URL,
      connectionName: unique('t-depth'),
      logger: createLogger({ logLevel: 'silent' } as never),
    });
    t.teardown(async () => {
      await probe.close();
      const cleanup = await conn.createChannel();
      await cleanup.deleteQueue(a);
      await cleanup.deleteQueue(b);
      await conn.close();
    });
    let depths = new Map<string, number>();
    // Published with no confirm: the broker may still be enqueuing for a moment.
    for (let i = 0; i < 50 && depths.get(a) !== 3; i++) {
      depths = await probe.depths([a, missing, b]);
    }
    t.equal(depths.get(a), 3);
    t.equal(depths.has(missing), false, 'a queue that does not exist has no depth');
    t.equal(depths.get(b), 1, 'the queue after the missing one is still probed');
    await probe.close();
    t.same([...(await probe.depths([a]))], [], 'closed: no more probes');
  },
);

t.test('the stats stream sends a snapshot, then ticks, and app.close() ends it', async (t) => {
  const gw = await startGateway(t);
  const base = await gw.app.listen({ port: 0, host: '127.0.0.1' });
  const res = await fetch(`${base}/stats/models/events`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/event-stream/);
  t.ok(res.headers.get('x-request-id'), 'hook headers are sent on the stream too');
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes('event: tick')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  t.match(text, /^retry: \d+\n\nid: \d+\nevent: snapshot\ndata: \{/);
  const tick = /event: tick\ndata: (.*)\n/.exec(text)?.[1];
  t.match(JSON.parse(tick ?? '{}'), { interval_ms: 2000, series: Array });
  await gw.app.close(); // would hang here if the open stream held the server
  for (;;) {
    const { done } = await reader.read();
    if (done) break;
  }
  t.pass('the stream ended when the gateway closed');
});
