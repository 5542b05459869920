import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { frameOwner, readProfile, summarizeProfile } from '../src/cpu-profile.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({
  functionName,
  url,
  lineNumber,
  columnNumber: 0,
  scriptId: '0',
});

// root → handler → (jsonParse | idle), with known time per sample.
const profile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 4] },
    { id: 2, callFrame: frame('handler', 'file:///app/packages/api/dist/x.js', 9), children: [3] },
    {
      id: 3,
      callFrame: frame(
        'parse',
        'file:///app/node_modules/.pnpm/fast-json@1.0.0/node_modules/fast-json/index.js',
        0,
      ),
    },
    { id: 4, callFrame: frame('(idle)') },
  ],
  startTime: 0,
  endTime: 1000,
  samples: [2, 3, 3, 4, 4, 3],
  // Each sample i is charged timeDeltas[i + 1]; the last sample's following delta is unknown.
  timeDeltas: [0, 1000, 2000, 3000, 4000, 5000],
};

t.test('self time is charged to the sampled function and idle is set apart', async (t) => {
  const s = summarizeProfile(profile, 10, '/app');
  t.equal(s.totalMs, 15);
  t.equal(s.idleMs, 9);
  t.same(
    s.top.map((e) => [e.frame, e.selfMs, e.busyPercent]),
    [
      ['parse fast-json/index.js:1', 5, 83.3],
      ['handler /packages/api/dist/x.js:10', 1, 16.7],
    ],
  );
  t.same(
    s.byOwner.map((e) => [e.frame, e.selfMs]),
    [
      ['fast-json', 5],
      ['packages/api', 1],
    ],
  );
});

t.test('a file that is not a CPU profile is refused with BENCH_PROFILE', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loadtest-profile-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.cpuprofile');
  writeFileSync(bad, '{"nodes": 3}');
  t.throws(() => readProfile(bad), { code: 'BENCH_PROFILE' });
  const good = join(dir, 'good.cpuprofile');
  writeFileSync(good, JSON.stringify(profile));
  t.equal(readProfile(good).samples.length, 6);
});

t.test('frames with no script are owned by V8 or count as native', async (t) => {
  t.equal(frameOwner({ callFrame: frame('(garbage collector)') }), '(garbage collector)');
  t.equal(frameOwner({ callFrame: frame('writev') }), 'native');
  t.equal(frameOwner({ callFrame: frame('emit', 'node:events') }), 'node');
  t.equal(
    frameOwner({
      callFrame: frame(
        'x',
        'file:///r/node_modules/.pnpm/@fastify+a@1/node_modules/@fastify/a/i.js',
      ),
    }),
    '@fastify/a',
  );
});
