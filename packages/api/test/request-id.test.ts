import type { LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import { type LogLine, startCapturedGateway } from './helpers/captured-gateway.js';
import { type SpyMessage, startSpyWorker } from './helpers/spy-worker.js';
import { waitLive } from './helpers/stack.js';

// One id per request, chosen once: the body's `request_id` (/predict) or `id` (V2), else the
// `x-request-id` header, else a generated one. It is the id echoed in the header, written in
// the body, sent as the AMQP messageId, and bound into every log line of the request.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

t.test('the gateway uses one request id everywhere, on every route family', async (t) => {
  const spy = await startSpyWorker(t);
  const gw = await startCapturedGateway(t);
  await waitLive(gw, spy.name);
  let salt = 0;
  /** A row no other request sent: it reaches the worker (no cache hit) and names its message. */
  const row = () => {
    salt += 0.001;
    return [5, 3, 1.5, salt];
  };
  const messageFor = (r: number[]): SpyMessage | undefined =>
    spy.seen.find((m) => m.rows.some((x) => x[3] === r[3]));
  const linesOf = (id: string): LogLine[] => gw.lines.filter((l) => l.request_id === id);

  /** The one id must be in the header, the AMQP messageId and every log line of the request. */
  const checkOneId = (
    t: Test,
    res: LightMyRequestResponse,
    sent: number[],
    expected: string | RegExp,
    absent: string[] = [],
  ): string => {
    const id = res.headers['x-request-id'] as string;
    if (typeof expected === 'string') t.equal(id, expected, 'the header echoes the id');
    else t.match(id, expected, 'the header carries a generated id');
    t.equal(messageFor(sent)?.messageId, id, 'the worker received it as the AMQP messageId');
    t.ok(linesOf(id).length >= 1, 'the request logged under it');
    for (const other of absent) t.same(linesOf(other), [], `no log line carries ${other}`);
    return id;
  };

  t.test('/predict: body request_id, then the header, then a generated id', async (t) => {
    const both = row();
    const res = await gw.app.inject({
      method: 'POST',
      url: '/predict',
      headers: { 'x-request-id': 'hdr-1' },
      payload: { model_name: spy.name, input_data: [both], request_id: 'body-1' },
    });
    t.equal(res.statusCode, 200);
    t.equal(res.json().request_id, 'body-1', 'the body says the body id');
    checkOneId(t, res, both, 'body-1', ['hdr-1']);

    const header = row();
    const res2 = await gw.app.inject({
      method: 'POST',
      url: '/predict',
      headers: { 'x-request-id': 'hdr-2' },
      payload: { model_name: spy.name, input_data: [header] },
    });
    t.equal(res2.json().request_id, 'hdr-2');
    checkOneId(t, res2, header, 'hdr-2');

    const none = row();
    const res3 = await gw.app.inject({
      method: 'POST',
      url: '/predict',
      payload: { model_name: spy.name, input_data: [none] },
    });
    const id = checkOneId(t, res3, none, UUID);
    t.equal(res3.json().request_id, id, 'the body carries the generated id');
  });

  t.test('/predict errors carry the same id as the header', async (t) => {
    const res = await gw.app.inject({
      method: 'POST',
      url: '/predict',
      headers: { 'x-request-id': 'hdr-3' },
      payload: { model_name: spy.name, input_data: [[1, 2]], request_id: 'body-3' },
    });
    t.equal(res.statusCode, 400);
    t.equal(res.json().code, 'BAD_INPUT');
    t.equal(res.json().request_id, 'body-3');
    t.equal(res.headers['x-request-id'], 'body-3');
    t.ok(linesOf('body-3').length >= 1, 'the refusal is logged under the body id');
    t.same(linesOf('hdr-3'), []);

    // A body id the pattern refuses is itself the bad input; the header id names the 400.
    const bad = await gw.app.inject({
      method: 'POST',
      url: '/predict',
      headers: { 'x-request-id': 'hdr-4' },
      payload: { model_name: spy.name, input_data: [row()], request_id: 'not safe!' },
    });
    t.equal(bad.statusCode, 400);
    t.equal(bad.json().request_id, 'hdr-4');
    t.equal(bad.headers['x-request-id'], 'hdr-4');
  });

  t.test('KServe V1: the header, then a generated id', async (t) => {
    const header = row();
    const res = await gw.app.inject({
      method: 'POST',
      url: `/v1/models/${spy.name}:predict`,
      headers: { 'x-request-id': 'v1-hdr' },
      payload: { instances: [header] },
    });
    t.equal(res.statusCode, 200);
    checkOneId(t, res, header, 'v1-hdr');

    const none = row();
    const res2 = await gw.app.inject({
      method: 'POST',
      url: `/v1/models/${spy.name}:predict`,
      payload: { instances: [none] },
    });
    checkOneId(t, res2, none, UUID);

    const unknown = await gw.app.inject({
      method: 'POST',
      url: '/v1/models/never-announced:predict',
      headers: { 'x-request-id': 'v1-err' },
      payload: { instances: [row()] },
    });
    t.equal(unknown.statusCode, 404);
    t.equal(unknown.json().request_id, 'v1-err');
    t.equal(unknown.headers['x-request-id'], 'v1-err');
  });

  t.test(
    'Open Inference Protocol V2: the body id, then the header, then a generated id',
    async (t) => {
      const infer = (r: number[], id: string | undefined, header: string | undefined) =>
        gw.app.inject({
          method: 'POST',
          url: `/v2/models/${spy.name}/infer`,
          headers: header === undefined ? {} : { 'x-request-id': header },
          payload: {
            ...(id === undefined ? {} : { id }),
            inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: r }],
          },
        });
      const both = row();
      const res = await infer(both, 'v2-body', 'v2-hdr');
      t.equal(res.statusCode, 200);
      t.equal(res.json().id, 'v2-body');
      checkOneId(t, res, both, 'v2-body', ['v2-hdr']);

      const header = row();
      const res2 = await infer(header, undefined, 'v2-hdr-2');
      t.equal(res2.json().id, 'v2-hdr-2', 'without a body id the header id is the response id');
      checkOneId(t, res2, header, 'v2-hdr-2');

      const none = row();
      const res3 = await infer(none, undefined, undefined);
      const id = checkOneId(t, res3, none, UUID);
      t.equal(res3.json().id, id);
    },
  );

  t.test('each successful request reached the worker as its own message', async (t) => {
    t.equal(spy.seen.length, 8, '3 /predict, 2 V1, 3 V2');
  });
});
