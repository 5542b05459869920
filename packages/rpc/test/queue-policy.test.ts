import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ConfirmChannel } from 'amqplib';
import t from 'tap';
import { RpcClient, RpcError } from '../src/index.js';
import { silentLogger } from '../src/logger.js';
import { DEAD_LETTER_EXCHANGE, declareModelQueue } from '../src/model-queue.js';
import { AMQP_URL, admin, deleteQueues, unique } from './helpers.js';

// What k8s-config/rabbitmq/model-queue-policy.yaml relies on, on the real broker: a policy lowers
// a live quorum queue's max-length below the x-max-length it was made with, without a redeclare,
// while a policy above the argument leaves the argument's bound in force (the lower one wins).
// Each policy here matches only this test's queue, so no one else's queue is touched.

const run = promisify(execFile);

async function setPolicy(name: string, queue: string, maxLength: number): Promise<void> {
  const definition = {
    'max-length': maxLength,
    overflow: 'reject-publish',
    'dead-letter-exchange': DEAD_LETTER_EXCHANGE,
    'delivery-limit': 3,
  };
  // The queue name is made of [a-z0-9.]: only its dots need escaping.
  const pattern = `^${queue.replaceAll('.', '\\.')}$`;
  await run('rabbitmqctl', [
    'set_policy',
    name,
    pattern,
    JSON.stringify(definition),
    '--priority',
    '1000',
    '--apply-to',
    'queues',
    '--quiet',
  ]);
}

async function clearPolicy(name: string): Promise<void> {
  await run('rabbitmqctl', ['clear_policy', name, '--quiet']).catch(() => undefined);
}

/** Waits (by asking the broker, at most ~20 tries) until `queue` reports `policy` as its own. */
async function untilPolicyOn(queue: string, policy: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const { stdout } = await run('rabbitmqctl', [
      'list_queues',
      'name',
      'policy',
      '--formatter',
      'json',
      '--quiet',
    ]);
    const rows = JSON.parse(stdout) as { name: string; policy: string }[];
    if (rows.find((r) => r.name === queue)?.policy === policy) return;
  }
  throw new Error(`policy ${policy} never reached ${queue}`);
}

/** Publishes one persistent message; true when the broker acked it, false when it nacked it. */
function publish(ch: ConfirmChannel, queue: string, n: number): Promise<boolean> {
  return new Promise((resolve) => {
    ch.sendToQueue(queue, Buffer.from(JSON.stringify({ n })), { persistent: true }, (err) =>
      resolve(err === null || err === undefined),
    );
  });
}

t.test(
  'a policy lowers a live quorum queue’s max-length; one above the argument does not raise it',
  async (t) => {
    const queue = unique('policy');
    const lower = `${queue}.lower`;
    const higher = `${queue}.higher`;
    const model = await admin();
    const client = new RpcClient({ url: AMQP_URL, logger: null });
    t.teardown(async () => {
      await clearPolicy(lower);
      await clearPolicy(higher);
      await client.close();
      await model.close();
      await deleteQueues(queue);
    });

    const made = await declareModelQueue(
      model,
      queue,
      { maxLength: 5, deliveryLimit: 3 },
      'quorum',
      silentLogger,
    );
    t.equal(made, 'created', 'made with x-max-length 5');
    const ch = await model.createConfirmChannel();
    const count = async (): Promise<number> => (await ch.checkQueue(queue)).messageCount;

    const before = [];
    for (let n = 0; n < 3; n++) before.push(await publish(ch, queue, n));
    t.same(before, [true, true, true], 'under the argument (5) three publishes are accepted');
    t.equal(await count(), 3);

    await setPolicy(lower, queue, 2);
    await untilPolicyOn(queue, lower);
    t.equal(await publish(ch, queue, 3), false, 'with the policy at 2, the next publish is nacked');
    await client.connect();
    const err = await client.call(queue, { n: 4 }, { timeoutMs: 5_000 }).then(
      () => null,
      (e: unknown) => e,
    );
    t.ok(err instanceof RpcError, 'an RPC call to the queue fails');
    t.equal((err as RpcError | null)?.code, 'RPC_OVERLOADED', 'as overloaded, at once');
    t.equal(await count(), 3, 'nothing beyond the bound was queued');
    // The queue was not declared again: it is the same queue, with the same arguments.
    t.equal(
      await declareModelQueue(
        model,
        queue,
        { maxLength: 5, deliveryLimit: 3 },
        'quorum',
        silentLogger,
      ),
      'existing',
    );

    await clearPolicy(lower);
    await setPolicy(higher, queue, 1000);
    await untilPolicyOn(queue, higher);
    // A quorum queue rejects publishes only once it is over its bound, so it ends one past it:
    // 6 here, where a bound of 1000 would have taken all four.
    const after = [];
    for (let n = 5; n < 9; n++) after.push(await publish(ch, queue, n));
    t.same(
      after,
      [true, true, true, false],
      'with the policy at 1000 the argument (5) still bounds the queue: raising needs a new queue',
    );
    t.equal(await count(), 6);
  },
);
