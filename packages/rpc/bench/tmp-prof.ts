import { RpcClient, RpcServer } from '../src/index.js';

const URL_ = 'amqp://guest:guest@127.0.0.1:5672';
const q1 = 'prof.' + process.pid;
class Echo extends RpcServer {
  protected override async handle(r: unknown) {
    return r;
  }
}
const server = new Echo({ url: URL_, queue: q1, prefetch: 512, concurrency: 512, logger: null });
await server.start();
const client = new RpcClient({ url: URL_, logger: null });
await client.connect();
const P = { inputs: [[5.1, 3.5, 1.4, 0.2]] };
const C = Number(process.env.C ?? 64);
let n = 0;
const end = performance.now() + 6000;
await Promise.all(
  Array.from({ length: C }, async () => {
    while (performance.now() < end) {
      await client.call(q1, P);
      n++;
    }
  }),
);
console.log('rt/s', n / 6);
await client.close();
await server.stop();
const { connect } = await import('amqplib');
const m = await connect(URL_);
const c = await m.createChannel();
await c.deleteQueue(q1);
await m.close();
