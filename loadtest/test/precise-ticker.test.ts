import t from 'tap';
import { preciseTicks } from '../src/precise-ticker.js';

t.test('every tick arrives once, in order, and none well before its time', async (t) => {
  const start = performance.timeOrigin + performance.now() + 30;
  const seen: number[] = [];
  const early: number[] = [];
  const ticks = preciseTicks(start, 2.5, 40, (i) => {
    seen.push(i);
    // Clocks of two threads may differ by a rounding; a whole millisecond early would be a bug.
    if (performance.timeOrigin + performance.now() < start + i * 2.5 - 1) early.push(i);
  });
  await ticks.done;
  t.same(
    seen,
    Array.from({ length: 40 }, (_, i) => i),
  );
  t.same(early, []);
});

t.test('stop ends the ticker before the last tick', async (t) => {
  let count = 0;
  const ticks = preciseTicks(performance.timeOrigin + performance.now(), 50, 1000, () => {
    count++;
  });
  await ticks.stop();
  await ticks.done;
  t.ok(count < 1000);
});
