import t from 'tap';
import { ApiError } from '../src/errors.js';
import { isRedisOutOfMemory, stateWriteError } from '../src/state/state-errors.js';
import { RedisProcess } from './helpers/redis-process.js';

// The helper keys and jobs reuse: a full state Redis is 503 UNAVAILABLE saying so. The OOM reply
// comes from a real redis-server at its maxmemory (port 38016), not a hand-made error.
t.test('an OOM reply from a full noeviction Redis maps to 503 UNAVAILABLE "full"', async (t) => {
  const redis = await RedisProcess.start(t, 38016, [
    '--maxmemory',
    '1mb',
    '--maxmemory-policy',
    'noeviction',
  ]);
  const client = redis.client();
  await client.connect();
  t.teardown(() => client.close());
  let reply: unknown = null;
  for (let i = 0; reply === null && i < 10_000; i++) {
    await client.set(`k:${i}`, 'x'.repeat(1024)).catch((err: unknown) => {
      reply = err;
    });
  }
  t.ok(isRedisOutOfMemory(reply), 'the reply is recognised as OOM');
  const error = stateWriteError(reply, 'the API key');
  t.type(error, ApiError);
  t.equal(error.code, 'UNAVAILABLE');
  t.equal(error.statusCode, 503);
  t.ok((error.retryAfterSeconds ?? 0) > 0, 'with Retry-After');
  t.match(error.message, /state store is full: the API key was not stored/);
  t.equal(error.cause, reply, 'the reply is kept as the cause (counted by the gateway)');
});

t.test('any other failure is 503 UNAVAILABLE "cannot be reached"', async (t) => {
  const gone = new Error('The client is closed');
  t.notOk(isRedisOutOfMemory(gone));
  t.notOk(isRedisOutOfMemory(null));
  t.notOk(isRedisOutOfMemory('OOM as a string'));
  const error = stateWriteError(gone, 'the job');
  t.equal(error.code, 'UNAVAILABLE');
  t.match(error.message, /cannot be reached: the job was not stored/);
});
