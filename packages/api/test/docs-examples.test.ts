import { join } from 'node:path';
import t from 'tap';
import { MODEL_NAMES, ROOT, spawnWorker, startGateway, waitLive } from './helpers/stack.js';
import { privateVhost } from './helpers/vhost.js';

interface Operation {
  parameters?: { in: string; name: string; example?: unknown }[];
  requestBody?: {
    content: Record<string, { example?: unknown; examples?: Record<string, { value: unknown }> }>;
  };
  responses?: Record<string, { content?: Record<string, unknown> }>;
}

t.test(
  'every example in the OpenAPI document gets its documented status from a real stack',
  async (t) => {
    // The examples name the real models, so they run on a vhost of their own.
    const amqpUrl = await privateVhost(t);
    for (const model of MODEL_NAMES) {
      spawnWorker(t, join(ROOT, 'models', model), { AMQP_URL: amqpUrl });
    }
    const gw = await startGateway(t, { AMQP_URL: amqpUrl });
    for (const model of MODEL_NAMES) await waitLive(gw, model);
    const base = await gw.app.listen({ port: 0, host: '127.0.0.1' });

    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, Operation>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
    );
    t.ok(operations.length >= 15, `${operations.length} operations documented`);

    let sent = 0;
    for (const { path, method, op } of operations) {
      const what = `${method} ${path}`;
      // A job's or a key's id exists only once something made it: no static example names one.
      if (/\{(id|job_id|key_id)\}/.test(path)) {
        t.pass(what, { skip: 'its path names an id minted at run time: no static example can' });
        continue;
      }
      const success = Object.keys(op.responses ?? { 200: {} }).filter((s) => /^2\d\d$/.test(s));
      t.equal(success.length, 1, `${what} documents one success status`);
      const expected = Number(success[0]);

      let url = path;
      for (const p of op.parameters?.filter((x) => x.in === 'path') ?? []) {
        t.not(p.example, undefined, `${what}: path parameter ${p.name} has an example`);
        url = url.replace(`{${p.name}}`, encodeURIComponent(String(p.example)));
      }
      const media = op.requestBody?.content['application/json'];
      const bodies: [string, unknown][] = [];
      if (op.requestBody !== undefined) {
        t.ok(media !== undefined, `${what} documents a JSON body`);
        if (media?.examples !== undefined) {
          for (const [name, ex] of Object.entries(media.examples)) bodies.push([name, ex.value]);
        } else if (media?.example !== undefined) {
          bodies.push(['example', media.example]);
        }
        t.ok(bodies.length > 0, `${what} has a body example`);
      } else {
        bodies.push(['no body', undefined]);
      }

      for (const [name, body] of bodies) {
        const abort = new AbortController();
        const init: RequestInit = { method, signal: abort.signal };
        if (body !== undefined) {
          init.headers = { 'content-type': 'application/json' };
          init.body = JSON.stringify(body);
        }
        const res = await fetch(`${base}${url}`, init);
        // An event stream never ends: its status and type are the answer.
        const stream = (res.headers.get('content-type') ?? '').startsWith('text/event-stream');
        const text = stream ? '' : await res.text();
        abort.abort();
        t.equal(
          res.status,
          expected,
          `${what} (${name}) answers ${expected}: ${text.slice(0, 200)}`,
        );
        sent++;
      }
    }
    // /predict 3, V1 predict 1, V2 infer 2, plus one call for every other operation.
    t.ok(sent >= 18, `${sent} examples sent`);
  },
);
