import t from 'tap';
import { startTracing, type TracingSdkOptions } from '../src/index.js';

/** A stand-in for NodeSDK that records what it was given and whether it was started. */
function fakeSdk() {
  const made: { options: TracingSdkOptions; started: boolean }[] = [];
  const create = (options: TracingSdkOptions) => {
    const sdk = {
      options,
      started: false,
      start() {
        sdk.started = true;
      },
      shutdown: async () => {},
    };
    made.push(sdk);
    return sdk;
  };
  return { made, create };
}

t.test('with no exporter configured no SDK is built', async (t) => {
  const { made, create } = fakeSdk();
  t.equal(startTracing({}, 'mlapi-api', create), null);
  t.equal(startTracing({ OTEL_TRACES_EXPORTER: 'none' }, 'mlapi-api', create), null);
  t.equal(made.length, 0);
});

t.test('the SDK is started with no context manager, traces only', async (t) => {
  const { made, create } = fakeSdk();
  const sdk = startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, 'x', create);
  t.equal(made.length, 1);
  t.equal(sdk, made[0]);
  t.ok(made[0]?.started, 'started');
  t.same(made[0]?.options, {
    serviceName: 'x',
    metricReaders: [],
    logRecordProcessors: [],
    contextManager: null,
  });
});

t.test('OTEL_SERVICE_NAME is left to the SDK', async (t) => {
  const { made, create } = fakeSdk();
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SERVICE_NAME: 'mine' };
  startTracing(env, 'x', create);
  t.notOk('serviceName' in (made[0]?.options ?? {}), 'no default service name given');
});
