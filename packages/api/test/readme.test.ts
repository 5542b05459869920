// README examples are tests. This file runs every request example of README.md against a real
// local stack, so an example that drifts from the code fails CI.
//
// The convention (also in docs/architecture.md, "README examples are tests"):
// - An example is a `curl` command, in a ```sh block, whose URL is on localhost:8080 (other hosts
//   are left alone). `\` continuations and a multi-line '…' body are part of it. The examples
//   run in README order against one fresh stack: the gateway and one worker per model, on a
//   private RabbitMQ vhost, with the gateway's default configuration.
// - Its response is shown either as `#` comments (on the command's last line, and/or on the
//   lines right below it), or in a ```json (body) or ```http block right after the ```sh block
//   (for that block's last example). Either way: an optional status line `HTTP/1.1 404 …`, then
//   optional `name: value` header lines, then the JSON body. Without a status line the example
//   must answer 200; with nothing shown, any 2xx.
// - The comparison: the status; each header shown (names case-insensitive); the body with the
//   same JSON type at every node, exactly the same field names, arrays of the same length,
//   strings and booleans equal, numbers within 1e-4 (TOLERANCE: outputs are shown to 4
//   decimals). A string in angle brackets is a placeholder: "<number>" for any number, "<any>"
//   for any value, any other "<…>" (e.g. "<generated id>") for any string.
// - A comment after an example that is not a response (prose) is an error: put prose outside
//   the block. So are curl options and shell features the extractor does not know.
// - Markers, an HTML comment on the line before a ```sh block, for all of its examples:
//   `<!-- readme-test: needs <feature> … -->` runs them only when STACK_FEATURES (below) has
//   every feature named, else they are reported as skipped, naming what is missing;
//   `<!-- readme-test: skip <reason> -->` never runs them (reported as skipped, with the reason).
//   A section about something this stack cannot provide yet (API keys, versions, jobs, aliases)
//   marks its blocks with `needs`, and whoever gives the stack that feature adds it here.
// - On a mismatch the test prints the real response as the README would show it (compact,
//   4 decimals), ready to paste.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import {
  API_MAIN,
  freePort,
  MODEL_NAMES,
  ROOT,
  rabbitmqctl,
  spawnNode,
  spawnWorker,
  unique,
  waitFor,
} from './helpers/stack.js';
import { matchJson, readmeJson } from './readme/json-match.js';
import { type Example, extractExamples } from './readme/readme-examples.js';

/** Features this stack provides, for `readme-test: needs` markers. */
// versions: a second version of fast (models/v2/fast) beside the three models, with fast's
// traffic pinned to version 1 from the start so the examples before the versions section see
// only version 1, as a reader who has not started the v2 worker does.
const STACK_FEATURES: ReadonlySet<string> = new Set<string>(['versions']);
/** Shell variables the examples may use (`$NAME`). */
const VARS: Readonly<Record<string, string>> = {};
const HOSTS = ['localhost:8080', '127.0.0.1:8080'];

t.test('every request example in README.md answers as the README shows', async (t) => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const examples = extractExamples(readme, { hosts: HOSTS, vars: VARS });
  // A broken extractor must not pass by finding nothing.
  t.ok(examples.length >= 12, `${examples.length} examples found`);
  const runnable = examples.filter((e) => skipReason(e) === null);
  t.ok(runnable.length >= 12, `${runnable.length} of them run on this stack`);

  const base = await startStack(t);
  for (const example of examples) {
    const name = `README.md:${example.line}: ${firstLine(example.command)}`;
    const skip = skipReason(example);
    if (skip !== null) {
      t.test(name, { skip }, () => {});
      continue;
    }
    await t.test(name, async (t) => runExample(t, base, example));
  }
});

function skipReason(example: Example): string | null {
  if (example.skip !== null) return example.skip;
  const missing = example.needs.filter((f) => !STACK_FEATURES.has(f));
  return missing.length > 0
    ? `needs ${missing.join(', ')}, which the README test's stack lacks`
    : null;
}

async function runExample(t: Test, base: string, example: Example): Promise<void> {
  t.same(example.problems, [], 'the example follows the convention');
  const request = example.request;
  if (request === null) return;
  const res = await fetch(`${base}${request.path}`, {
    method: request.method,
    headers: { 'user-agent': 'curl/8 (mlapi README test)', accept: '*/*', ...request.headers },
    ...(request.body === undefined ? {} : { body: request.body }),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // compared as text below
  }
  const actual = `HTTP/1.1 ${res.status}\n${readmeJson(body)}`;
  const expected = example.expected;
  if (expected === null) {
    t.ok(res.status >= 200 && res.status < 300, `a 2xx (got ${res.status})`, { actual });
    return;
  }
  t.equal(res.status, expected.status ?? 200, 'the status shown', { actual });
  for (const [name, value] of Object.entries(expected.headers)) {
    const got = res.headers.get(name);
    if (/^<[^<>]+>$/.test(value)) t.ok(got !== null, `header ${name} is present`);
    else t.equal(got, value, `header ${name}`);
  }
  if (expected.body !== undefined) {
    t.same(matchJson(expected.body, body), [], 'the body shown', { actual });
  }
}

/** The gateway and one worker per model, on a vhost of their own, on free ports. */
async function startStack(t: Test): Promise<string> {
  const vhost = unique('mlapi-readme');
  await rabbitmqctl(['add_vhost', vhost]);
  t.teardown(() => rabbitmqctl(['delete_vhost', vhost]).then(() => undefined));
  await rabbitmqctl(['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
  const amqpUrl = `amqp://guest:guest@127.0.0.1:5672/${vhost}`;
  for (const model of MODEL_NAMES) {
    spawnWorker(t, join(ROOT, 'models', model), { AMQP_URL: amqpUrl });
  }
  spawnWorker(t, join(ROOT, 'models', 'v2', 'fast'), { AMQP_URL: amqpUrl });
  const dir = await mkdtemp(join(tmpdir(), 'mlapi-readme-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const policies = join(dir, 'traffic.json');
  await writeFile(policies, JSON.stringify({ fast: { weights: { '1': 100 } } }));
  const port = await freePort();
  const gateway = spawnNode(t, API_MAIN, {
    TRAFFIC_POLICY_FILE: policies,
    AMQP_URL: amqpUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  });
  const base = `http://127.0.0.1:${port}`;
  const status = async (path: string) => {
    try {
      return (await fetch(`${base}${path}`)).status;
    } catch {
      return 0;
    }
  };
  try {
    await waitFor(
      'the gateway and every model ready',
      async () =>
        (await status('/health/ready')) === 200 &&
        (
          await Promise.all(
            [
              ...MODEL_NAMES.map((m) => `/v2/models/${m}/ready`),
              '/v2/models/fast/versions/2/ready',
            ].map(status),
          )
        ).every((s) => s === 200),
      60_000,
    );
  } catch (err) {
    t.comment(gateway.output());
    throw err;
  }
  return base;
}

const firstLine = (command: string) => {
  const line = (command.split('\n')[0] ?? '').replace(/\s+#.*$/, '');
  return line.length > 90 ? `${line.slice(0, 87)}...` : line;
};
