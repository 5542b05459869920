import t from 'tap';
import {
  DEFAULT_AUTO_ROLLBACK,
  parseTrafficPolicy,
  stickyBucket,
  TRAFFIC_BUCKETS,
  TrafficPolicyError,
} from '../src/index.js';

t.test('a policy is checked and comes back frozen with its optional parts filled in', async (t) => {
  const policy = parseTrafficPolicy({ weights: { '1': 90, '2': 10 } });
  t.same(policy, { weights: { '1': 90, '2': 10 }, shadow: null, auto_rollback: null });
  t.ok(Object.isFrozen(policy.weights));
  const full = parseTrafficPolicy({
    weights: { '1': 100, '2': 0 },
    shadow: { version: '2', percent: 12.5 },
    auto_rollback: { margin: 0.1 },
  });
  t.same(full.shadow, { version: '2', percent: 12.5 });
  t.same(full.auto_rollback, { ...DEFAULT_AUTO_ROLLBACK, margin: 0.1 });
});

t.test('a bad policy names its first bad field', async (t) => {
  const cases: [unknown, string][] = [
    [null, '(root)'],
    [{}, 'weights'],
    [{ weights: {} }, 'weights'],
    [{ weights: { '1': 0, '2': 0 } }, 'weights'],
    [{ weights: { '1': -1 } }, 'weights.1'],
    [{ weights: { '1': 1.5 } }, 'weights.1'],
    [{ weights: { '1': '10' } }, 'weights.1'],
    [{ weights: { 'V 1': 10 } }, 'weights.V 1'],
    [{ weights: { '1': 1 }, shadow: { version: '2', percent: 101 } }, 'shadow.percent'],
    [{ weights: { '1': 1 }, shadow: { version: '../2', percent: 1 } }, 'shadow.version'],
    [{ weights: { '1': 1 }, shadow: { version: '2', percent: 1, x: 1 } }, 'shadow.x'],
    [{ weights: { '1': 1 }, auto_rollback: { margin: 2 } }, 'auto_rollback.margin'],
    [{ weights: { '1': 1 }, canary: '2' }, 'canary'],
  ];
  t.equal(cases.length, 13);
  for (const [value, field] of cases) {
    const err = (() => {
      try {
        parseTrafficPolicy(value);
      } catch (e) {
        return e;
      }
      return null;
    })();
    t.type(err, TrafficPolicyError, JSON.stringify(value));
    t.equal((err as TrafficPolicyError).code, 'POLICY_INVALID');
    t.equal((err as TrafficPolicyError).field, field, JSON.stringify(value));
  }
});

t.test('the sticky bucket is stable, in range and spreads similar callers evenly', async (t) => {
  t.equal(stickyBucket('caller-1', 'fast'), stickyBucket('caller-1', 'fast'), 'stable');
  // Pinned: every replica, and any client that reproduces it, must agree on the bucket.
  t.equal(stickyBucket('caller-1', 'fast'), 8471);
  t.not(stickyBucket('caller-1', 'fast'), stickyBucket('caller-1', 'slow'), 'per model');
  t.not(stickyBucket('ab', 'c'), stickyBucket('a', 'bc'), 'the separator keeps parts apart');
  const tenths = new Array(10).fill(0);
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const b = stickyBucket(`session-${i}`, 'fast');
    if (!(b >= 0 && b < TRAFFIC_BUCKETS && Number.isInteger(b))) t.fail(`bucket ${b} out of range`);
    tenths[Math.floor(b / 1000)]++;
  }
  for (const [i, count] of tenths.entries()) {
    t.ok(Math.abs(count - n / 10) < n / 10 / 10, `tenth ${i} holds ${count} of ${n}`);
  }
});
