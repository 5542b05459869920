import { connect } from 'amqplib';
import { RpcClient, RpcServer } from '../src/index.js';

const URL_ = 'amqp://guest:guest@127.0.0.1:5672';
const q1 = 'iso.a.' + process.pid,
  q2 = 'iso.b.' + process.pid;
class Echo extends RpcServer {
  protected override async handle(r: unknown) {
    return r;
  }
}
const server = new Echo({ url: URL_, queue: q1, prefetch: 512, concurrency: 512, logger: null });
await server.start();
// plain server on q2
const pm = await connect(URL_, { noDelay: true });
const pc = await pm.createChannel();
await pc.assertQueue(q2, {
  durable: true,
  arguments: { 'x-queue-type': 'classic', 'x-max-length': 10000, 'x-overflow': 'reject-publish' },
});
await pc.prefetch(512);
await pc.consume(q2, (msg) => {
  if (!msg) return;
  const result = JSON.parse(msg.content.toString());
  pc.sendToQueue(msg.properties.replyTo, Buffer.from(JSON.stringify({ ok: true, result })), {
    correlationId: msg.properties.correlationId,
  });
  pc.ack(msg);
});
const client = new RpcClient({ url: URL_, logger: null });
await client.connect();
const P = { inputs: [[5.1, 3.5, 1.4, 0.2]] };
for (const [name, q] of [
  ['ours->ours', q1],
  ['ours->plain', q2],
  ['ours->ours', q1],
  ['ours->plain', q2],
] as const) {
  const lat: number[] = [];
  const end = performance.now() + 2000;
  while (performance.now() < end) {
    const s = performance.now();
    await client.call(q, P);
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  console.log(name, lat.length / 2, 'rt/s p50', lat[lat.length >> 1]?.toFixed(3));
}
await client.close();
await server.stop();
await pc.deleteQueue(q1);
await pc.deleteQueue(q2);
await pm.close();
