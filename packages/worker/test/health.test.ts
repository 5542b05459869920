import type { AddressInfo } from 'node:net';
import t from 'tap';
import { createHealthServer } from '../src/index.js';
import { createWorker, httpStatus, startWorker } from './helpers/fixtures.js';

t.test('health and metrics endpoints follow the worker', async (t) => {
  const { worker, metrics } = await startWorker(t, 'fast');
  metrics.setLoaded(true);
  metrics.bindRpcServer(worker);
  const server = createHealthServer({ registry: metrics.registry, ready: () => worker.consuming });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;

  t.equal(await httpStatus(port, '/health/live'), 200, 'live');
  t.equal(await httpStatus(port, '/health/ready'), 200, 'ready while consuming');
  t.equal(await httpStatus(port, '/nope'), 404, 'unknown paths are 404');

  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  t.equal(res.status, 200);
  const body = await res.text();
  t.match(body, /model_loaded\{model_name="fast",model_version="[^"]+"\} 1/, 'model_loaded is 1');
  for (const name of [
    'model_inference_seconds',
    'model_batch_rows',
    'model_batch_messages',
    'model_requests_total',
    'model_errors_total',
    'rpc_server_handled_total',
    'rpc_server_in_flight',
  ]) {
    t.match(body, new RegExp(`# TYPE ${name} `), `${name} is exported`);
  }

  await worker.stop();
  t.equal(await httpStatus(port, '/health/ready'), 503, 'not ready once stopped');
  t.equal(await httpStatus(port, '/health/live'), 200, 'still live');
});

t.test('the worker is not ready before it consumes', async (t) => {
  const { worker, metrics } = await createWorker(t, 'fast');
  const server = createHealthServer({ registry: metrics.registry, ready: () => worker.consuming });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  t.equal(await httpStatus(port, '/health/ready'), 503);
  await worker.start();
  t.equal(await httpStatus(port, '/health/ready'), 200, 'ready flips to 200 after consuming');
});
