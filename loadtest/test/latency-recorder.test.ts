import t from 'tap';
import { LatencyRecorder } from '../src/latency-recorder.js';

t.test('percentiles are exact nearest-rank values over every sample', async (t) => {
  const r = new LatencyRecorder();
  // 1..10000 in a scrambled order, past the initial capacity so the buffer must grow.
  for (let i = 0; i < 10_000; i++) r.record(((i * 7919) % 10_000) + 1);
  t.same(r.summary(), { count: 10_000, p50: 5000, p95: 9500, p99: 9900, max: 10_000 });
});

t.test('fractional milliseconds keep their precision', async (t) => {
  const r = new LatencyRecorder();
  for (const ms of [0.25, 0.5, 0.75, 1.25]) r.record(ms);
  t.equal(r.summary().p50, 0.5);
  t.equal(r.summary().max, 1.25);
});

t.test('an empty recorder summarises to zeros and reset empties it', async (t) => {
  const r = new LatencyRecorder();
  t.same(r.summary(), { count: 0, p50: 0, p95: 0, p99: 0, max: 0 });
  r.record(3);
  r.reset();
  t.equal(r.summary().count, 0);
});
