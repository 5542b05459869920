import { connect } from 'amqplib';
import { RpcClient, RpcServer } from '../src/index.js';
const URL_ = 'amqp://guest:guest@127.0.0.1:5672';
const q1 = 'c1.a.' + process.pid, q2 = 'c1.b.' + process.pid;
class Echo extends RpcServer { protected override async handle(r: unknown) { return r; } }
const server = new Echo({ url: URL_, queue: q1, prefetch: 512, concurrency: 512, logger: null });
await server.start();
const pm = await connect(URL_, { noDelay: true }); const pc = await pm.createChannel();
await pc.assertQueue(q2, { durable: true, arguments: { 'x-queue-type': 'classic', 'x-max-length': 10000, 'x-overflow': 'reject-publish' } }); await pc.prefetch(512);
await pc.consume(q2, (msg) => { if (!msg) return; const result = JSON.parse(msg.content.toString()); pc.sendToQueue(msg.properties.replyTo, Buffer.from(JSON.stringify({ ok: true, result })), { correlationId: msg.properties.correlationId }); pc.ack(msg); });
const client = new RpcClient({ url: URL_, logger: null });
await client.connect();
const m = await connect(URL_, { noDelay: true }); const ch = await m.createChannel();
const pending = new Map<string, () => void>(); let n = 0;
await ch.consume('amq.rabbitmq.reply-to', (msg) => { const id = msg?.properties.correlationId; const r = pending.get(id); pending.delete(id); r?.(); }, { noAck: true });
const P = { inputs: [[5.1, 3.5, 1.4, 0.2]] };
const plainCall = (q: string) => new Promise<void>((res) => { const id = String(n++); pending.set(id, res); ch.sendToQueue(q, Buffer.from(JSON.stringify(P)), { correlationId: id, replyTo: 'amq.rabbitmq.reply-to' }); });
const variants: Array<[string, () => Promise<unknown>]> = [
  ['plain->plain', () => plainCall(q2)], ['plain->ours', () => plainCall(q1)], ['ours->plain', () => client.call(q2, P)], ['ours->ours', () => client.call(q1, P)]];
for (let round = 0; round < 3; round++) for (const [name, f] of variants) {
  const lat: number[] = []; const end = performance.now() + 1500;
  while (performance.now() < end) { const s = performance.now(); await f(); lat.push(performance.now() - s); }
  lat.sort((a, b) => a - b); const mean = lat.reduce((a, b) => a + b, 0) / lat.length;
  const p = (x: number) => lat[Math.floor(x * lat.length)]?.toFixed(3);
  console.log(name.padEnd(14), String(Math.round(lat.length / 1.5)).padStart(5), 'rt/s mean', mean.toFixed(3), 'p50', p(0.5), 'p90', p(0.9), 'p99', p(0.99));
}
await client.close(); await server.stop(); await pc.deleteQueue(q1); await pc.deleteQueue(q2); await pm.close(); await m.close();
