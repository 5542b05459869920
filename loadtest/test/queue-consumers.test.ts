import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';
import t from 'tap';
import { queueConsumers } from '../src/queue-consumers.js';

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

t.test('consumers are counted per queue and a missing queue counts zero', async (t) => {
  const queue = `loadtest.consumers-${process.pid}-${randomBytes(4).toString('hex')}`;
  const missing = `${queue}-missing`;
  const conn = await connect(AMQP_URL);
  t.teardown(() => conn.close());
  const ch = await conn.createChannel();
  // Not exclusive: the passive declare comes from the harness's own connection.
  await ch.assertQueue(queue, { durable: false });
  t.teardown(() => ch.deleteQueue(queue));
  await ch.consume(queue, () => {}, { noAck: true });
  await ch.consume(queue, () => {}, { noAck: true });
  t.same(await queueConsumers(AMQP_URL, [queue, missing]), { [queue]: 2, [missing]: 0 });
});
