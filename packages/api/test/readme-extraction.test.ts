import t from 'tap';
import { matchJson, readmeJson } from './readme/json-match.js';
import { extractExamples } from './readme/readme-examples.js';
import { parseShell } from './readme/shell-words.js';

// The README test's convention, on a made-up page: each way of showing a response, the markers,
// and the problems it must refuse rather than guess about (see test/readme.test.ts).

const HOSTS = ['localhost:8080'];
const page = [
  '# Example page',
  '```sh',
  'curl -s localhost:8080/v1/models          # {"models":["fast"]}',
  "curl -s localhost:8080/v2/models/fast/infer -H 'content-type: application/json' -d '{",
  '  "inputs": []',
  "}'",
  '# HTTP/1.1 400 Bad Request',
  '# {"error":"<message>","code":"BAD_INPUT",',
  '#  "request_id":"<generated>"}',
  'kubectl get pods   # not an example',
  'curl -s https://mlapi.example.com/predict   # another host: not an example',
  '```',
  '',
  '```sh',
  "curl -si localhost:8080/predict -H 'x-request-id: a-1' \\",
  '  -d \'{"model_name": "fast"}\'',
  '```',
  '```http',
  'HTTP/1.1 200 OK',
  'x-request-id: a-1',
  '',
  '{"cached": false}',
  '```',
  '',
  '<!-- readme-test: needs auth jobs -->',
  '```sh',
  'curl -s localhost:8080/v1/jobs -H "authorization: Bearer $MLAPI_KEY"',
  '```',
  '<!-- readme-test: skip needs a cluster -->',
  '',
  '```sh',
  'curl -s localhost:8080/health/ready',
  'curl -s localhost:8080/x | jq .   # prose, not a response',
  'curl -s -K config localhost:8080/y',
  '```',
].join('\n');

t.test('every way of showing a response is read, in page order', async (t) => {
  const examples = extractExamples(page, { hosts: HOSTS, vars: { MLAPI_KEY: 'k' } });
  t.equal(examples.length, 7, 'the other host and the kubectl line are not examples');
  const [list, bad, withHeaders, jobs, ready, piped, unknownFlag] = examples;

  t.same(list?.request, { method: 'GET', path: '/v1/models', headers: {}, body: undefined });
  t.same(list?.expected, { status: null, headers: {}, body: { models: ['fast'] } });
  t.equal(list?.line, 3);

  t.equal(bad?.request?.method, 'POST', 'a body makes it a POST');
  t.equal(bad?.request?.body, '{\n  "inputs": []\n}', 'a quoted body keeps its lines');
  t.same(bad?.expected?.status, 400);
  t.same(bad?.expected?.body, { error: '<message>', code: 'BAD_INPUT', request_id: '<generated>' });
  t.same(bad?.problems, []);

  t.equal(withHeaders?.request?.headers['x-request-id'], 'a-1');
  t.equal(
    withHeaders?.request?.headers['content-type'],
    'application/x-www-form-urlencoded',
    "curl's default content type for -d",
  );
  t.same(withHeaders?.expected, {
    status: 200,
    headers: { 'x-request-id': 'a-1' },
    body: { cached: false },
  });
  t.equal(withHeaders?.line, 15);

  t.same(jobs?.needs, ['auth', 'jobs']);
  t.equal(jobs?.request?.headers.authorization, 'Bearer k', 'variables come from the test');
  t.equal(ready?.skip, 'needs a cluster');
  t.equal(ready?.expected, null, 'nothing shown: any 2xx');

  t.ok(
    piped?.problems.some((p) => p.includes('piped')),
    'a pipe is refused',
  );
  t.ok(
    piped?.problems.some((p) => p.includes('neither JSON')),
    'prose as a response is refused',
  );
  t.ok(
    unknownFlag?.problems.some((p) => p.includes('-K')),
    'an unknown curl option is refused',
  );
});

t.test('a variable the test does not define is a problem, not an empty string', async (t) => {
  const script = parseShell('curl -H "a: $NOPE" localhost:8080/');
  t.equal(script.problems.length, 1);
  t.equal(script.commands.length, 1);
});

t.test('responses match on shape, names and values within the tolerance', async (t) => {
  t.same(matchJson({ a: [0.9909, 1], b: 'x' }, { a: [0.99087, 1], b: 'x' }), []);
  t.equal(matchJson({ a: [0.99] }, { a: [0.9909] }).length, 1, 'beyond 1e-4 is a difference');
  t.equal(matchJson({ a: 1 }, { a: 1, b: 2 }).length, 1, 'a field the README does not show');
  t.equal(matchJson({ a: 1, b: 2 }, { a: 1 }).length, 1, 'a field the response lacks');
  t.equal(matchJson([1, 2], [1, 2, 3]).length, 1, 'a length');
  t.equal(matchJson({ id: '<generated>' }, { id: 'f00' }).length, 0, 'a placeholder string');
  t.equal(matchJson({ id: '<generated>' }, { id: 7 }).length, 1, 'a placeholder keeps the type');
  t.equal(matchJson({ ms: '<number>' }, { ms: 7.5 }).length, 0);
  t.equal(matchJson('1', 1).length, 1, 'types are not coerced');
  t.equal(readmeJson({ p: [0.990871, 1] }), '{"p":[0.9909,1]}');
});
