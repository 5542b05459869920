import t from 'tap';
import { spawnWorker, startGateway, uniqueModel, waitLive } from './helpers/stack.js';

interface Case {
  name: string;
  method?: 'GET' | 'POST' | 'DELETE';
  url?: string;
  headers?: Record<string, string>;
  /** Sent as is (a string) or as JSON. */
  payload?: unknown;
  status: number;
}

t.test('every bad request gets a 4xx with the error body, never a 5xx', async (t) => {
  const { name: m, dir } = await uniqueModel(t, 'fast');
  spawnWorker(t, dir);
  const gw = await startGateway(t, { BODY_LIMIT_BYTES: '65536', MAX_ROWS_PER_REQUEST: '64' });
  await waitLive(gw, m);
  const json = { 'content-type': 'application/json' };
  const row = [5.1, 3.5, 1.4, 0.2];
  const deep = `${'['.repeat(10_000)}1${']'.repeat(10_000)}`;
  const cases: Case[] = [
    { name: 'malformed JSON', headers: json, payload: '{"model_name": "x", ', status: 400 },
    {
      name: 'JSON with a trailing comma',
      headers: json,
      payload: `{"model_name":"${m}",}`,
      status: 400,
    },
    { name: 'an empty body with a JSON content type', headers: json, payload: '', status: 400 },
    { name: 'no body at all', payload: undefined, status: 400 },
    { name: 'a JSON array body', payload: [row], status: 400 },
    { name: 'a JSON string body', headers: json, payload: '"hello"', status: 400 },
    {
      name: 'the wrong content type',
      headers: { 'content-type': 'text/plain' },
      payload: 'hi',
      status: 415,
    },
    {
      name: 'form encoding',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'a=1',
      status: 415,
    },
    {
      name: 'an oversized body',
      payload: { model_name: m, input_data: Array(5000).fill(row) },
      status: 413,
    },
    { name: 'missing model_name', payload: { input_data: [row] }, status: 400 },
    { name: 'missing input_data', payload: { model_name: m }, status: 400 },
    { name: 'model_name a number', payload: { model_name: 7, input_data: [row] }, status: 400 },
    {
      name: 'model name with dots',
      payload: { model_name: 'fast.v1', input_data: [row] },
      status: 400,
    },
    {
      name: 'model name with a slash',
      payload: { model_name: 'a/b', input_data: [row] },
      status: 400,
    },
    { name: 'model name ..', payload: { model_name: '..', input_data: [row] }, status: 400 },
    {
      name: 'model name upper case',
      payload: { model_name: 'FAST', input_data: [row] },
      status: 400,
    },
    {
      name: 'model name too long',
      payload: { model_name: 'a'.repeat(64), input_data: [row] },
      status: 400,
    },
    {
      name: 'an unknown model',
      payload: { model_name: 'no-such-model', input_data: [row] },
      status: 404,
    },
    {
      name: 'numbers as strings',
      payload: { model_name: m, input_data: [['5.1', '3.5', '1.4', '0.2']] },
      status: 400,
    },
    {
      name: 'null in a row',
      payload: { model_name: m, input_data: [[5.1, null, 1.4, 0.2]] },
      status: 400,
    },
    {
      name: 'booleans in a row',
      payload: { model_name: m, input_data: [[true, 3.5, 1.4, 0.2]] },
      status: 400,
    },
    {
      name: 'NaN (not JSON)',
      headers: json,
      payload: `{"model_name":"${m}","input_data":[[NaN,1,2,3]]}`,
      status: 400,
    },
    {
      name: 'Infinity by overflow',
      headers: json,
      payload: `{"model_name":"${m}","input_data":[[1e999,1,2,3]]}`,
      status: 400,
    },
    {
      name: 'a value beyond float32',
      payload: { model_name: m, input_data: [[1e39, 3.5, 1.4, 0.2]] },
      status: 400,
    },
    {
      name: 'a negative value beyond float32, as one row',
      payload: { model_name: m, input_data: [5.1, -3.5e38, 1.4, 0.2] },
      status: 400,
    },
    { name: 'a row too narrow', payload: { model_name: m, input_data: [[1, 2, 3]] }, status: 400 },
    {
      name: 'a row too wide',
      payload: { model_name: m, input_data: [[1, 2, 3, 4, 5]] },
      status: 400,
    },
    { name: 'ragged rows', payload: { model_name: m, input_data: [row, [1, 2]] }, status: 400 },
    { name: 'no rows', payload: { model_name: m, input_data: [] }, status: 400 },
    { name: 'an empty row', payload: { model_name: m, input_data: [[]] }, status: 400 },
    {
      name: 'more rows than allowed',
      payload: { model_name: m, input_data: Array(65).fill(row) },
      status: 400,
    },
    { name: 'rows nested too deep', payload: { model_name: m, input_data: [[row]] }, status: 400 },
    {
      name: 'pathological nesting',
      headers: json,
      payload: `{"model_name":"${m}","input_data":${deep}}`,
      status: 400,
    },
    {
      name: 'a prototype-poisoning body',
      headers: json,
      payload: `{"model_name":"${m}","input_data":[[1,2,3,4]],"__proto__":{"x":1}}`,
      status: 400,
    },
    {
      name: 'a bad request_id',
      payload: { model_name: m, input_data: [row], request_id: 'a b\n' },
      status: 400,
    },
    {
      name: 'a bad timeout header',
      headers: { 'x-request-timeout-ms': 'soon' },
      payload: { model_name: m, input_data: [row] },
      status: 400,
    },
    {
      name: 'a zero timeout header',
      headers: { 'x-request-timeout-ms': '0' },
      payload: { model_name: m, input_data: [row] },
      status: 400,
    },
    // KServe V1
    { name: 'V1: instances missing', url: `/v1/models/${m}:predict`, payload: {}, status: 400 },
    {
      name: 'V1: a flat instances list',
      url: `/v1/models/${m}:predict`,
      payload: { instances: row },
      status: 400,
    },
    {
      name: 'V1: a dotted model in the path',
      url: '/v1/models/fa.st:predict',
      payload: { instances: [row] },
      status: 400,
    },
    {
      name: 'V1: an encoded traversal in the path',
      url: '/v1/models/..%2F..%2Fetc:predict',
      payload: { instances: [row] },
      status: 404,
    },
    {
      name: 'V1: an unknown verb',
      url: `/v1/models/${m}:explain`,
      payload: { instances: [row] },
      status: 404,
    },
    {
      name: 'V1: metadata of an unknown model',
      method: 'GET',
      url: '/v1/models/nope',
      status: 404,
    },
    {
      name: 'V1: a value beyond float32',
      url: `/v1/models/${m}:predict`,
      payload: { instances: [[1e39, 3.5, 1.4, 0.2]] },
      status: 400,
    },
    { name: 'V1: metadata of a bad name', method: 'GET', url: '/v1/models/a.b', status: 400 },
    // Open Inference Protocol V2
    { name: 'V2: no inputs', url: `/v2/models/${m}/infer`, payload: { inputs: [] }, status: 400 },
    {
      name: 'V2: an unsupported datatype',
      url: `/v2/models/${m}/infer`,
      payload: { inputs: [{ name: 'input', shape: [1, 4], datatype: 'INT8', data: row }] },
      status: 400,
    },
    {
      name: 'V2: shape disagrees with data',
      url: `/v2/models/${m}/infer`,
      payload: { inputs: [{ name: 'input', shape: [2, 4], datatype: 'FP32', data: row }] },
      status: 400,
    },
    {
      name: 'V2: wrong width in shape',
      url: `/v2/models/${m}/infer`,
      payload: { inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] },
      status: 400,
    },
    {
      name: 'V2: data nested deeper than shape',
      url: `/v2/models/${m}/infer`,
      payload: { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [[row]] }] },
      status: 400,
    },
    {
      name: 'V2: strings in data',
      url: `/v2/models/${m}/infer`,
      payload: {
        inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: ['a', 'b', 'c', 'd'] }],
      },
      status: 400,
    },
    {
      name: 'V2: an FP32 value beyond float32',
      url: `/v2/models/${m}/infer`,
      payload: {
        inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1e39, 3.5, 1.4, 0.2] }],
      },
      status: 400,
    },
    {
      name: 'V2: an FP64 value beyond float32, nested',
      url: `/v2/models/${m}/infer`,
      payload: {
        inputs: [
          { name: 'input', shape: [1, 4], datatype: 'FP64', data: [[5.1, 3.5, 1.4, -1e300]] },
        ],
      },
      status: 400,
    },
    {
      name: 'V2: a value beyond float32 at an explicit version',
      url: `/v2/models/${m}/versions/1/infer`,
      payload: {
        inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1e39, 3.5, 1.4, 0.2] }],
      },
      status: 400,
    },
    {
      name: 'V2: a negative dimension',
      url: `/v2/models/${m}/infer`,
      payload: { inputs: [{ name: 'input', shape: [-1, 4], datatype: 'FP32', data: row }] },
      status: 400,
    },
    {
      name: 'V2: a wrong input name',
      url: `/v2/models/${m}/infer`,
      payload: { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: row }] },
      status: 400,
    },
    {
      name: 'V2: an unknown output',
      url: `/v2/models/${m}/infer`,
      payload: {
        inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: row }],
        outputs: [{ name: 'logits' }],
      },
      status: 400,
    },
    {
      name: 'V2: a zero timeout parameter',
      url: `/v2/models/${m}/infer`,
      payload: {
        parameters: { timeout_ms: 0 },
        inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: row }],
      },
      status: 400,
    },
    {
      name: 'V2: an unknown model',
      url: '/v2/models/nope/infer',
      payload: { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: row }] },
      status: 404,
    },
    {
      name: 'V2: a traversal in the path',
      url: '/v2/models/../infer',
      payload: { inputs: [] },
      status: 404,
    },
    { name: 'an unknown route', method: 'GET', url: '/admin', status: 404 },
    { name: 'an unknown route: the root', method: 'GET', url: '/', status: 404 },
    { name: 'an unknown route: a POST', url: '/predict/extra', payload: {}, status: 404 },
    { name: 'an unknown route: a DELETE', method: 'DELETE', url: '/predict', status: 404 },
    { name: 'an unknown route: V3', url: `/v3/models/${m}/infer`, payload: {}, status: 404 },
    {
      name: 'an unknown route: a long encoded path',
      method: 'GET',
      url: `/${'%2e%2e%2f'.repeat(2000)}`,
      status: 404,
    },
  ];
  t.ok(cases.length >= 25, `${cases.length} cases`);
  for (const c of cases) {
    const headers: Record<string, string> = { ...c.headers };
    let payload: string | undefined;
    if (typeof c.payload === 'string') payload = c.payload;
    else if (c.payload !== undefined) {
      payload = JSON.stringify(c.payload);
      headers['content-type'] ??= 'application/json';
    }
    const res = await gw.app.inject({
      method: c.method ?? 'POST',
      url: c.url ?? '/predict',
      headers: { 'x-request-id': 'bad-1', ...headers },
      ...(payload !== undefined ? { payload } : {}),
    });
    t.equal(res.statusCode, c.status, `${c.name}: ${res.statusCode}`);
    const body = res.json();
    t.type(body.error, 'string', `${c.name}: has error`);
    if (c.name.includes('unknown model')) t.equal(body.code, 'UNKNOWN_MODEL', c.name);
    if (c.name.includes('unknown route')) t.equal(body.code, 'NOT_FOUND', c.name);
    t.match(body.code, /^(BAD_INPUT|UNKNOWN_MODEL|NOT_FOUND)$/, `${c.name}: a client code`);
    t.equal(body.request_id, 'bad-1', `${c.name}: carries the request id`);
  }

  const metrics = await gw.app.inject({ url: '/metrics' });
  t.notMatch(metrics.body, /status="5\d\d"/, 'no 5xx was recorded');
});

t.test('a value beyond float32 is never answered, so never cached', async (t) => {
  const { name: m, dir } = await uniqueModel(t, 'fast');
  spawnWorker(t, dir);
  const gw = await startGateway(t);
  await waitLive(gw, m);
  const send = () =>
    gw.app.inject({
      method: 'POST',
      url: '/predict',
      payload: { model_name: m, input_data: [[1e39, 3.5, 1.4, 0.2]] },
    });
  for (const attempt of [1, 2]) {
    const res = await send();
    t.equal(res.statusCode, 400, `attempt ${attempt}: 400`);
    t.equal(res.json().code, 'BAD_INPUT');
  }
  const metrics = (await gw.app.inject({ url: '/metrics' })).body;
  t.notMatch(metrics, /^cache_(hits|misses)_total [1-9]/m, 'the cache was never consulted');
  t.match(metrics, /^cache_misses_total 0/m, 'the counter is there, at zero');
});
