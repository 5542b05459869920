import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { DeadLetterResponder, RpcClient, RpcError } from '../src/index.js';
import { AMQP_URL, deleteQueues, unique, until } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/poison-server.ts', import.meta.url));
// The same TypeScript loader tap gave this process.
const LOADER = process.execArgv.filter((arg) => arg.includes('typescript'));

t.test(
  'a poison message is dead-lettered after its delivery limit and its caller told at once',
  async (t) => {
    const queue = unique('poison');
    const responder = new DeadLetterResponder({ url: AMQP_URL, logger: null });
    await responder.start();
    const client = new RpcClient({ url: AMQP_URL, logger: null });
    // A fleet of two, restarted when one dies, as Kubernetes would.
    const fleet = new Set<ChildProcess>();
    let deaths = 0;
    let stopping = false;
    const launch = (): ChildProcess => {
      const child = spawn(process.execPath, [...LOADER, FIXTURE, queue], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      (child as ChildProcess & { out: () => string }).out = () => out;
      fleet.add(child);
      child.once('exit', () => {
        fleet.delete(child);
        if (stopping) return;
        deaths++;
        launch();
      });
      return child;
    };
    t.teardown(async () => {
      stopping = true;
      for (const child of fleet) child.kill('SIGKILL');
      await client.close();
      await responder.stop();
      await deleteQueues(queue);
    });
    const first = launch() as ChildProcess & { out: () => string };
    await until(() => first.out().includes('ready'), 30_000);
    launch();
    await client.connect();

    const startedAt = Date.now();
    const poison = client.call(queue, { poison: true }, { timeoutMs: 60_000 }).then(
      () => null,
      (err: unknown) => err,
    );
    // Meanwhile the rest of the fleet keeps serving.
    const normal = Array.from({ length: 20 }, (_, i) =>
      client.call<{ value: number }>(queue, { value: i }, { timeoutMs: 60_000 }),
    );
    const err = (await poison) as RpcError | null;
    const tookMs = Date.now() - startedAt;
    t.ok(err instanceof RpcError, 'the poison call failed');
    t.equal(err?.code, 'RPC_REMOTE');
    t.equal(err?.remoteCode, 'BAD_INPUT', 'with a clear code, not a timeout');
    t.ok(tookMs < 60_000, `answered after ${tookMs} ms, not at its 60 s deadline`);
    t.ok(deaths >= 2 && deaths <= 4, `its workers died a bounded number of times (${deaths})`);
    t.equal(responder.answered, 1);
    const values = (await Promise.all(normal)).map((r) => r.value);
    t.same(
      values,
      Array.from({ length: 20 }, (_, i) => i),
      'every other call succeeded',
    );
    // The fleet is whole again and the poison is gone: nobody dies on later calls.
    const before = deaths;
    await until(() => fleet.size === 2);
    t.same(await client.call(queue, { value: 99 }, { timeoutMs: 30_000 }), { value: 99 });
    t.equal(deaths, before, 'the poison message is not delivered again');
  },
);
