import { PresenceTracker, RpcClient } from '@mlapi/rpc';
import t from 'tap';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { PresenceRegistry } from '../src/registry.js';
import {
  AMQP_URL,
  spawnWorker,
  startGateway,
  uniqueModel,
  waitFor,
  waitLive,
} from './helpers/stack.js';

t.test('probes, metrics, OpenAPI and request ids', async (t) => {
  const { name, dir } = await uniqueModel(t, 'fast');
  spawnWorker(t, dir);
  const gw = await startGateway(t);
  await waitLive(gw, name);
  const { app } = gw;

  t.same((await app.inject({ url: '/health/live' })).json(), { status: 'ok' });
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200);
  t.same((await app.inject({ url: '/v2/health/live' })).json(), { live: true });
  t.same((await app.inject({ url: '/v2/health/ready' })).json(), { ready: true });
  const server = (await app.inject({ url: '/v2' })).json();
  t.equal(server.name, 'mlapi');
  t.type(server.version, 'string');

  const predict = await app.inject({
    method: 'POST',
    url: '/predict',
    headers: { 'x-request-id': 'bad id with spaces', 'x-api-key': 'secret' },
    payload: { model_name: name, input_data: [[5, 3, 1, 0.1]] },
  });
  const generated = predict.headers['x-request-id'] as string;
  t.match(generated, /^[0-9a-f-]{36}$/, 'an unsafe x-request-id is replaced by a fresh one');
  t.equal(predict.json().request_id, generated, 'and that id is the one in the body');

  const metrics = await app.inject({ url: '/metrics' });
  t.match(metrics.headers['content-type'], /text\/plain/);
  for (const metric of [
    'model_predictions_total',
    'model_prediction_latency_seconds',
    'model_prediction_errors_total',
    'model_loaded',
    'cache_hits_total',
    'cache_misses_total',
    'cache_errors_total',
    'rpc_calls_in_flight',
    'http_request_duration_seconds',
    'rpc_client',
  ]) {
    t.match(metrics.body, new RegExp(`# TYPE ${metric} `), `${metric} is exported`);
  }
  t.match(metrics.body, new RegExp(`model_loaded\\{model_name="${name}",model_version="1"\\} 1`));
  t.match(
    metrics.body,
    new RegExp(`model_predictions_total\\{model_name="${name}",model_version="1"\\} 1`),
  );
  t.match(
    metrics.body,
    /http_request_duration_seconds_count\{route="\/predict",method="POST",status="200"\} 1/,
  );

  const openapi = (await app.inject({ url: '/openapi.json' })).json();
  t.equal(openapi.openapi.slice(0, 2), '3.');
  for (const path of [
    '/predict',
    '/v1/models',
    '/v1/models/{model}',
    '/v1/models/{model}:predict',
    '/v2',
    '/v2/health/live',
    '/v2/health/ready',
    '/v2/models/{model}',
    '/v2/models/{model}/ready',
    '/v2/models/{model}/infer',
    '/health/live',
    '/health/ready',
    '/metrics',
  ]) {
    t.ok(openapi.paths[path], `OpenAPI documents ${path}`);
  }
  t.ok(openapi.paths['/predict'].post.requestBody, 'with the request schema');

  app.mlapi.state.draining = true;
  const draining = await app.inject({ url: '/health/ready' });
  t.equal(draining.statusCode, 503, 'readiness is 503 while draining');
  t.equal(draining.json().code, 'UNAVAILABLE');
  t.equal(draining.headers.connection, 'close', 'and responses close their connection');
  t.equal((await app.inject({ url: '/v2/health/ready' })).statusCode, 503);
  t.equal((await app.inject({ url: '/health/live' })).statusCode, 200, 'still live');
  app.mlapi.state.draining = false;
});

t.test('without injected deps the app makes, starts and closes its own', async (t) => {
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }));
  await app.ready();
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200, 'connected on ready');
  await app.close();
  t.pass('closed');
});

t.test('readiness is 503 once presence has heard nothing for PRESENCE_SILENCE_MS', async (t) => {
  const config = loadConfig({ LOG_LEVEL: 'silent', PRESENCE_SILENCE_MS: '1000' });
  const rpc = new RpcClient({ url: AMQP_URL, logger: null });
  const tracker = new PresenceTracker({ url: AMQP_URL, logger: null });
  await rpc.connect();
  await tracker.start();
  const app = await buildApp(config, { rpc, registry: new PresenceRegistry(tracker) });
  t.teardown(async () => {
    await app.close();
    await rpc.close();
    await tracker.stop();
  });
  await waitFor('the tracker hearing its own echo', () => tracker.silentForMs() < 1000);
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200, 'hearing: ready');
  // Deaf: the broker connection of the RPC client is fine, presence hears nothing any more.
  await tracker.stop();
  await waitFor(
    'readiness to drop',
    async () => (await app.inject({ url: '/health/ready' })).statusCode === 503,
  );
  const ready = await app.inject({ url: '/health/ready' });
  t.equal(ready.json().code, 'UNAVAILABLE');
  t.equal(rpc.connected, true, 'only presence is deaf');
  t.equal((await app.inject({ url: '/v2/health/ready' })).statusCode, 503);
});
