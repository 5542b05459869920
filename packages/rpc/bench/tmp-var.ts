import { connect } from 'amqplib';

const URL_ = 'amqp://guest:guest@127.0.0.1:5672';
const q2 = 'iso.v.' + process.pid;
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
const m = await connect(URL_, { noDelay: true });
const P = Buffer.from(JSON.stringify({ inputs: [[5.1, 3.5, 1.4, 0.2]] }));
async function mk(confirm: boolean) {
  const ch = confirm ? await m.createConfirmChannel() : await m.createChannel();
  const pending = new Map<string, () => void>();
  let n = 0;
  await ch.consume(
    'amq.rabbitmq.reply-to',
    (msg) => {
      const id = msg!.properties.correlationId;
      const r = pending.get(id);
      pending.delete(id);
      r?.();
    },
    { noAck: true },
  );
  return (opts: object) =>
    new Promise<void>((res) => {
      const id = String(n++);
      pending.set(id, res);
      ch.sendToQueue(q2, P, { correlationId: id, replyTo: 'amq.rabbitmq.reply-to', ...opts });
    });
}
const plain = await mk(false),
  conf = await mk(true);
const variants: Array<[string, () => Promise<void>]> = [
  ['plain', () => plain({})],
  ['confirm', () => conf({})],
  ['confirm+mandatory', () => conf({ mandatory: true })],
  ['plain+expiration', () => plain({ expiration: '30000' })],
  [
    'plain+headers',
    () =>
      plain({
        headers: { 'x-deadline': Date.now() + 30000, 'x-mlapi-envelope': 1 },
        messageId: 'abc',
        type: 'call',
        timestamp: 1,
        contentType: 'application/json',
      }),
  ],
  [
    'all',
    () =>
      conf({
        mandatory: true,
        expiration: '30000',
        persistent: false,
        headers: { 'x-deadline': Date.now() + 30000, 'x-mlapi-envelope': 1 },
        messageId: 'abc',
        type: 'call',
        timestamp: 1,
        contentType: 'application/json',
      }),
  ],
];
const C = Number(process.env.C ?? 1);
for (let round = 0; round < 2; round++)
  for (const [name, f] of variants) {
    const lat: number[] = [];
    const end = performance.now() + 2000;
    await Promise.all(
      Array.from({ length: C }, async () => {
        while (performance.now() < end) {
          const s = performance.now();
          await f();
          lat.push(performance.now() - s);
        }
      }),
    );
    lat.sort((a, b) => a - b);
    console.log(
      name.padEnd(20),
      Math.round(lat.length / 2),
      'rt/s p50',
      lat[lat.length >> 1]?.toFixed(3),
    );
  }
await pc.deleteQueue(q2);
await pm.close();
await m.close();
