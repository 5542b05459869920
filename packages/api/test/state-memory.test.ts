import t from 'tap';
import { DEFAULT_REDIS_POLICY_KEY } from '../src/traffic/redis-policy-store.js';
import { announceVersions } from './helpers/announce.js';
import { RedisProcess } from './helpers/redis-process.js';
import { startGateway, unique, waitFor } from './helpers/stack.js';

// Memory per row of durable state, so operators can size the state Redis (README, "Sizing the
// state Redis"). Prints its figures (t.comment); asserts only that they were measured. A row is
// measured as written by the gateway itself, then copied ROWS times under names of the same
// length: used_memory's growth over ROWS, divided by ROWS, includes Redis's own per-entry
// overhead. Keys and jobs add their rows here the same way.
const ROWS = 10_000;

t.test('memory per traffic policy on the state Redis', async (t) => {
  // No append-only file here: its write buffer would count in used_memory for a moment and
  // blur the figure (measured: 467 and 579 B on two runs with AOF, against 460 B of data).
  const state = await RedisProcess.start(t, 38015, [
    '--appendonly',
    'no',
    '--maxmemory-policy',
    'noeviction',
  ]);
  const model = unique('t-state-mem');
  await announceVersions(t, model, ['1', '2']);
  const gw = await startGateway(t, { STATE_REDIS_URL: state.url });
  await waitFor('both versions', () => gw.owned.deps.registry.versions(model).length === 2);
  // A canary with shadow and automatic rollback: the largest record a policy makes today.
  const put = await gw.app.inject({
    method: 'PUT',
    url: `/admin/models/${model}/traffic`,
    payload: {
      weights: { '1': 90, '2': 10 },
      shadow: { version: '2', percent: 10 },
      auto_rollback: { margin: 0.05, window_seconds: 300, min_requests: 100 },
    },
  });
  t.equal(put.statusCode, 200, put.body);

  const client = state.client();
  await client.connect();
  t.teardown(() => client.close());
  const json = await client.hGet(DEFAULT_REDIS_POLICY_KEY, model);
  t.ok(json, 'the gateway stored the policy');
  const record = JSON.parse(json as string);
  const usedMemory = async () => Number((await state.info('memory')).used_memory);
  await client.del(DEFAULT_REDIS_POLICY_KEY);
  const before = await usedMemory();
  for (let i = 0; i < ROWS; i += 500) {
    const fields: Record<string, string> = {};
    for (let j = i; j < i + 500; j++) {
      const name = `${model.slice(0, model.length - 6)}${String(j).padStart(6, '0')}`;
      fields[name] = JSON.stringify({ ...record, model: name });
    }
    await client.hSet(DEFAULT_REDIS_POLICY_KEY, fields);
  }
  const after = await usedMemory();
  t.equal(await client.hLen(DEFAULT_REDIS_POLICY_KEY), ROWS);
  const perRow = (after - before) / ROWS;
  const usage = Number(await client.memoryUsage(DEFAULT_REDIS_POLICY_KEY, { SAMPLES: 0 }));
  t.ok(perRow > (json as string).length, 'a row costs at least its JSON');
  t.comment(
    `traffic policy: ${(json as string).length} B of JSON (model name ${model.length} chars); ` +
      `${perRow.toFixed(0)} B per policy (used_memory growth over ${ROWS}); ` +
      `MEMORY USAGE of the hash / ${ROWS}: ${(usage / ROWS).toFixed(0)} B`,
  );
  await client.del(DEFAULT_REDIS_POLICY_KEY);
});
