import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import { AMQP_URL, unique } from './stack.js';

const run = promisify(execFile);

/**
 * A RabbitMQ vhost of the test's own, deleted at teardown: its workers may then use the models'
 * real names (what the documented examples name) without meeting anyone else's.
 */
export async function privateVhost(t: Test): Promise<string> {
  const vhost = unique('mlapi-api-test');
  await run('rabbitmqctl', ['add_vhost', vhost]);
  t.teardown(async () => {
    await run('rabbitmqctl', ['delete_vhost', vhost]);
  });
  await run('rabbitmqctl', ['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
  return `${AMQP_URL}/${encodeURIComponent(vhost)}`;
}
