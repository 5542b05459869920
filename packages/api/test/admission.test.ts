import t from 'tap';
import { Admission, type RejectReason } from '../src/admission/admission.js';
import { WaitEstimate } from '../src/admission/wait-estimate.js';
import { ApiError } from '../src/errors.js';
import {
  type Gateway,
  spawnWorker,
  startGateway,
  uniqueModel,
  waitFor,
  waitLive,
} from './helpers/stack.js';

let distinct = 0;
/** Rows no other request sends: identical requests would share one call or hit the cache. */
function rowsOf(n: number): number[][] {
  const first = 4 + ++distinct / 1000;
  return Array.from({ length: n }, () => [first, 3.5, 1.4, 0.2]);
}

function refused(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('admitted');
}

t.test('Admission: the bounds, the deadline estimate and the Retry-After', async (t) => {
  let now = 1_000_000;
  const reasons: RejectReason[] = [];
  const admission = new Admission(
    { maxRowsPerModel: 2048, maxRows: 3072, maxRequests: 100, now: () => now },
    (_model, reason) => reasons.push(reason),
  );
  // An idle model with no estimate takes a request whatever its size.
  const first = admission.admit('a', 1024, now + 10_000);
  now += 500; // 1024 rows in 500 ms: ~0.49 ms per row.
  first.release(true);
  t.equal(admission.estimatedWaitMs('a', 1024), 500, 'the first sample is taken whole');

  const held = [admission.admit('a', 1024, now + 10_000), admission.admit('a', 1024, now + 10_000)];
  const full = refused(() => admission.admit('a', 1, now + 10_000));
  t.equal(full.code, 'OVERLOADED', 'a full model refuses at once');
  t.equal(full.statusCode, 503);
  t.equal(full.retryAfterSeconds, 1, 'Retry-After: the 2048 rows ahead clear in ~1 s');
  // Another model still has room in the gateway's bound (3072 rows).
  const other = admission.admit('b', 1024, now + 10_000);
  const gatewayFull = refused(() => admission.admit('c', 1, now + 10_000));
  t.equal(gatewayFull.code, 'OVERLOADED', 'the overall row bound holds too');
  other.release(false);
  for (const ticket of held) ticket.release(false);
  t.same(admission.load, { rows: 0, requests: 0 }, 'every release gives its rows back');

  // A backlog the deadline cannot wait for: 1024 ahead + 1024 own ≈ 1000 ms > 600 ms.
  const busy = admission.admit('a', 1024, now + 10_000);
  const late = refused(() => admission.admit('a', 1024, now + 600));
  t.equal(late.code, 'OVERLOADED', 'a request that cannot finish in time is refused at once');
  t.match(late.message, /estimated wait/);
  const inTime = admission.admit('a', 1024, now + 1500);
  inTime.release(false);
  busy.release(false);
  busy.release(false);
  t.same(admission.load, { rows: 0, requests: 0 }, 'a second release is a no-op');
  t.same(reasons, ['model_full', 'gateway_full', 'deadline']);

  const capped = new Admission({ maxRowsPerModel: 0, maxRows: 0, maxRequests: 1 });
  capped.admit('a', 1, Date.now() + 1000);
  t.equal(refused(() => capped.admit('b', 1, Date.now() + 1000)).code, 'OVERLOADED');
  t.throws(() => new Admission({ maxRowsPerModel: -1, maxRows: 0, maxRequests: 0 }), TypeError);
});

t.test('WaitEstimate: a per-call cost and a per-row cost, from mixed sizes', async (t) => {
  const estimate = new WaitEstimate(0.2);
  t.equal(estimate.waitMs(1024), 0, 'nothing known yet');
  // Calls of one size: only their ratio is known.
  estimate.record(100, 1000);
  t.equal(estimate.waitMs(2000), 200, 'one size seen: latency per row ahead');
  // A fleet that costs 2 ms per call plus 0.1 ms per row, seen at 1 and 1,000 rows.
  const mixed = new WaitEstimate(0.2);
  for (let i = 0; i < 20; i++) {
    mixed.record(2 + 0.1 * 1, 1);
    mixed.record(2 + 0.1 * 1000, 1000);
  }
  t.ok(Math.abs(mixed.waitMs(1) - 2.1) < 1e-6, `1 row: ${mixed.waitMs(1)} ms`);
  t.ok(Math.abs(mixed.waitMs(5000) - 502) < 1e-6, `5,000 rows: ${mixed.waitMs(5000)} ms`);
  // 1-row calls alone would have said 2.1 ms per row: 10,500 ms for the same 5,000 rows.
});

async function post(gw: Gateway, model: string, rows: number, timeoutMs?: number) {
  const res = await gw.app.inject({
    method: 'POST',
    url: '/predict',
    headers: timeoutMs === undefined ? {} : { 'x-request-timeout-ms': String(timeoutMs) },
    payload: { model_name: model, input_data: rowsOf(rows) },
  });
  return {
    status: res.statusCode,
    code: res.statusCode === 200 ? 'OK' : (res.json().code as string),
    retryAfter: res.headers['retry-after'],
  };
}

async function metricValue(gw: Gateway, pattern: RegExp): Promise<number> {
  const body = (await gw.app.inject({ url: '/metrics' })).body;
  const match = pattern.exec(body);
  return match === null ? 0 : Number(match[1]);
}

t.test('a flood of one model is refused at once, and the other model is served', async (t) => {
  const slow = await uniqueModel(t, 'slow');
  const fast = await uniqueModel(t, 'fast');
  spawnWorker(t, slow.dir);
  spawnWorker(t, fast.dir);
  // Two 1024-row requests fill slow's bound; the coalescer is off so each is its own call.
  const gw = await startGateway(t, { ADMISSION_MODEL_MAX_ROWS: '2048', COALESCE_MAX_ROWS: '0' });
  await waitLive(gw, slow.name);
  await waitLive(gw, fast.name);

  const flood = Array.from({ length: 24 }, () => post(gw, slow.name, 1024));
  const fastOnes = Array.from({ length: 8 }, () => post(gw, fast.name, 4));
  const outcomes = await Promise.all(flood);
  const served = outcomes.filter((o) => o.status === 200);
  const shed = outcomes.filter((o) => o.status === 503);
  t.equal(served.length + shed.length, outcomes.length, 'every request is a 200 or a 503');
  t.ok(served.length >= 2, `${served.length} served`);
  // All 24 arrive while slow works on the first two (exactly 22 refusals in practice); only a
  // call that finished before the last arrived could have made room for one more.
  t.ok(shed.length >= 1, `${shed.length} refused`);
  for (const o of shed) {
    t.equal(o.code, 'OVERLOADED');
    t.ok(Number(o.retryAfter) >= 1, `Retry-After ${o.retryAfter}`);
  }
  const fastOutcomes = await Promise.all(fastOnes);
  t.same(
    fastOutcomes.map((o) => o.status),
    fastOutcomes.map(() => 200),
    "the other model's requests are all served",
  );
  t.equal(
    await metricValue(gw, /admission_rejections_total\{reason="model_full"\} (\d+)/),
    shed.length,
    'each refusal is counted by reason',
  );
});

t.test('a request whose deadline the backlog would outlast is refused at once', async (t) => {
  const slow = await uniqueModel(t, 'slow');
  spawnWorker(t, slow.dir);
  const gw = await startGateway(t, { ADMISSION_MODEL_MAX_ROWS: '0', COALESCE_MAX_ROWS: '0' });
  await waitLive(gw, slow.name);
  // One call teaches the estimate how long 1024 rows take.
  t.equal((await post(gw, slow.name, 1024)).status, 200);
  const backlog = Array.from({ length: 4 }, () => post(gw, slow.name, 1024));
  await waitFor('the backlog in flight', async () => {
    return (await metricValue(gw, /rpc_calls_in_flight (\d+)/)) >= 4;
  });
  // Five calls of 1024 rows ahead of it cannot all clear in 1 ms.
  const late = await post(gw, slow.name, 1024, 1);
  t.equal(late.status, 503, 'refused rather than timed out');
  t.equal(late.code, 'OVERLOADED');
  t.ok(Number(late.retryAfter) >= 1);
  t.equal(await metricValue(gw, /admission_rejections_total\{reason="deadline"\} (\d+)/), 1);
  const done = await Promise.all(backlog);
  t.same(
    done.map((o) => o.status),
    [200, 200, 200, 200],
    'the admitted backlog is served',
  );
});

t.test('above its memory limit the gateway refuses predictions but answers probes', async (t) => {
  const fast = await uniqueModel(t, 'fast');
  spawnWorker(t, fast.dir);
  // Any live process is above 1 MiB: every request with a body is refused once sampled.
  const gw = await startGateway(t, { PRESSURE_MAX_RSS_MB: '1', MAX_CONNECTIONS: '64' });
  await waitLive(gw, fast.name);
  t.equal(gw.app.server.maxConnections, 64, 'the socket cap is set on the server');
  let last = { status: 0, code: '', retryAfter: undefined as string | string[] | undefined };
  await waitFor('the first memory sample', async () => {
    last = await post(gw, fast.name, 1);
    return last.status === 503;
  });
  t.equal(last.code, 'OVERLOADED');
  t.equal(last.retryAfter, '1');
  t.equal((await gw.app.inject({ url: '/health/live' })).statusCode, 200, 'liveness still answers');
  t.ok((await metricValue(gw, /admission_rejections_total\{reason="memory"\} (\d+)/)) >= 1);
});
