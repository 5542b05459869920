import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import type { CellSpec, Progress } from '../src/cell.js';
import { runClosedLoop } from '../src/closed-loop.js';
import { runOpenLoop } from '../src/open-loop.js';

const shapes = {
  fast: { name: 'fast', inputName: 'input', features: 4 },
  intermediate: { name: 'intermediate', inputName: 'input', features: 4 },
  slow: { name: 'slow', inputName: 'input', features: 4 },
};

interface Seen {
  bodies: string[];
  paths: string[];
  sessions: string[];
}

/** Answers 200, except 503 for every fifth request, so error counting is visible. */
async function server(t: Test): Promise<{ url: string; seen: Seen }> {
  const seen: Seen = { bodies: [], paths: [], sessions: [] };
  const srv: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      seen.bodies.push(body);
      seen.paths.push(req.url ?? '');
      seen.sessions.push(String(req.headers['x-session-id'] ?? ''));
      res.statusCode = seen.bodies.length % 5 === 0 ? 503 : 200;
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections();
        srv.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, seen };
}

function cell(url: string, overrides: Partial<CellSpec>): CellSpec {
  return {
    scenario: 'test',
    mode: 'closed',
    connections: 4,
    rate: null,
    durationSeconds: 1,
    warmupSeconds: 0,
    url,
    headers: { 'x-api-key': 'k' },
    workload: { kind: 'unique', model: 'fast', route: 'predict' },
    shapes,
    salt: 0,
    timeoutSeconds: 5,
    ...overrides,
  };
}

t.test(
  'the open loop sends exactly rate × duration requests and counts non-2xx as errors',
  async (t) => {
    const { url, seen } = await server(t);
    const progress: Progress[] = [];
    const r = await runOpenLoop(cell(url, { mode: 'open', rate: 200, durationSeconds: 1.5 }), (p) =>
      progress.push(p),
    );
    t.equal(seen.bodies.length, 300);
    t.equal(r.ok + r.non2xx, 300);
    t.equal(r.non2xx, 60);
    t.equal(r.latency.count, r.ok, 'latency is recorded for successes only');
    t.equal(r.sendLatency?.count, r.ok);
    t.equal(new Set(seen.bodies).size, 300, 'unique workload: no body repeats');
    t.ok(progress.length >= 1, 'progress is reported while running');
  },
);

t.test('the closed loop records every response and splits out the errors', async (t) => {
  const { url, seen } = await server(t);
  const r = await runClosedLoop(cell(url, {}), () => {});
  t.ok(r.ok > 0);
  // autocannon stops at the deadline without waiting for the requests still in flight: at most
  // one per connection goes uncounted.
  const uncounted = seen.bodies.length - (r.ok + r.non2xx);
  t.ok(uncounted >= 0 && uncounted <= 4, `${uncounted} uncounted`);
  t.ok(Math.abs(r.non2xx - Math.floor(seen.bodies.length / 5)) <= 4, 'every fifth is an error');
  t.equal(r.latency.count, r.ok);
  t.equal(r.socketErrors + r.timeouts, 0);
  t.equal(new Set(seen.bodies).size, seen.bodies.length, 'unique workload: no body repeats');
});

t.test('a workload with sessions spreads requests over that many sticky callers', async (t) => {
  for (const mode of ['closed', 'open'] as const) {
    const { url, seen } = await server(t);
    const workload = { kind: 'unique', model: 'fast', route: 'predict', sessions: 3 } as const;
    await (mode === 'closed' ? runClosedLoop : runOpenLoop)(
      cell(url, { mode, rate: mode === 'open' ? 60 : null, workload }),
      () => {},
    );
    t.ok(seen.sessions.length >= 3, `${mode}: ${seen.sessions.length} requests`);
    t.same([...new Set(seen.sessions)].sort(), ['caller-0', 'caller-1', 'caller-2'], mode);
  }
});

t.test('a fixed workload repeats one body; a mixed one follows 3:2:1', async (t) => {
  const fixed = await server(t);
  await runClosedLoop(
    cell(fixed.url, { workload: { kind: 'fixed', model: 'fast', route: 'predict' } }),
    () => {},
  );
  t.equal(new Set(fixed.seen.bodies).size, 1);

  const mixed = await server(t);
  await runOpenLoop(
    cell(mixed.url, { mode: 'open', rate: 120, durationSeconds: 1, workload: { kind: 'mixed' } }),
    () => {},
  );
  const models = mixed.seen.bodies.map((b) => (JSON.parse(b) as { model_name: string }).model_name);
  t.same(
    ['fast', 'intermediate', 'slow'].map((m) => models.filter((x) => x === m).length),
    [60, 40, 20],
  );
});

t.test('a v2 workload posts tensors to the model infer route', async (t) => {
  const { url, seen } = await server(t);
  await runOpenLoop(
    cell(url, {
      mode: 'open',
      rate: 20,
      durationSeconds: 0.5,
      workload: { kind: 'unique', model: 'fast', route: 'v2' },
    }),
    () => {},
  );
  t.equal(seen.paths[0], '/v2/models/fast/infer');
  t.same(JSON.parse(seen.bodies[0] ?? '{}').inputs[0].shape, [1, 4]);
});
