import t from 'tap';
import { routeLabel } from '../src/route-label.js';
import { formatSchemaErrors } from '../src/validation-message.js';
import { spawnWorker, startGateway, uniqueModel, waitLive } from './helpers/stack.js';

t.test('route labels read as the documented paths', async (t) => {
  t.equal(routeLabel('/v1/models/:model(^[^:/]+)::predict'), '/v1/models/:model:predict');
  t.equal(routeLabel('/v2/models/:model/infer'), '/v2/models/:model/infer');
  t.equal(routeLabel('/a/:id(^(x|y)$)/b'), '/a/:id/b', 'nested parentheses go with the regex');
  t.equal(routeLabel('/predict'), '/predict');
});

t.test('a validation message states each problem once', async (t) => {
  const branch = (keyword: string, instancePath: string, message: string) => ({
    keyword,
    instancePath,
    schemaPath: `#/anyOf/x/${keyword}`,
    params: {},
    message,
  });
  const message = formatSchemaErrors(
    [
      branch('minItems', '/input_data', 'must NOT have fewer than 1 items'),
      branch('minItems', '/input_data', 'must NOT have fewer than 1 items'),
      branch('anyOf', '/input_data', 'must match a schema in anyOf'),
    ],
    'body',
  ).message;
  t.equal(message, 'body/input_data must NOT have fewer than 1 items');
  const deeper = formatSchemaErrors(
    [
      { ...branch('type', '/rows/0/3', 'must be number'), schemaPath: '#/p/anyOf/0/items/type' },
      { ...branch('type', '/rows/0', 'must be number'), schemaPath: '#/p/anyOf/1/items/type' },
      branch('anyOf', '/rows', 'must match a schema in anyOf'),
    ],
    'body',
  ).message;
  t.equal(deeper, 'body/rows/0/3 must be number', 'the branch that got furthest speaks');
  t.equal(
    formatSchemaErrors([branch('anyOf', '/x', 'must match a schema in anyOf')], 'body').message,
    'body/x must match a schema in anyOf',
    'the umbrella clause stays when it is all there is',
  );
});

t.test('through the gateway: no clause repeats, and V1 is labelled readably', async (t) => {
  const { name, dir } = await uniqueModel(t, 'fast');
  spawnWorker(t, dir);
  const gw = await startGateway(t);
  await waitLive(gw, name);
  const bodies: unknown[] = [
    { model_name: name, input_data: [] },
    { model_name: name, input_data: 'rows' },
    { model_name: name, input_data: [[1, 2, 3, 'x']] },
    { model_name: name, input_data: [[]] },
    { model_name: name, input_data: [1, [2]] },
    { model_name: 'Bad Name', input_data: [] },
  ];
  for (const payload of bodies) {
    const res = await gw.app.inject({
      method: 'POST',
      url: '/predict',
      payload: payload as object,
    });
    t.equal(res.statusCode, 400);
    const clauses: string[] = res.json().error.split('; ');
    t.equal(new Set(clauses).size, clauses.length, `once each: ${res.json().error}`);
    t.notMatch(res.json().error, /anyOf/, 'the umbrella clause is left out');
  }
  const v1 = await gw.app.inject({
    method: 'POST',
    url: `/v1/models/${name}:predict`,
    payload: { instances: [[5.1, 3.5, 1.4, 0.2]] },
  });
  t.equal(v1.statusCode, 200);
  const metrics = (await gw.app.inject({ url: '/metrics' })).body;
  t.match(
    metrics,
    /http_request_duration_seconds_count\{route="\/v1\/models\/:model:predict",method="POST",status="200"\} 1/,
  );
  t.notMatch(metrics, /route="[^"]*\(/, 'no route label carries a regex');
});
