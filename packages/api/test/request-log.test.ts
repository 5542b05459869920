import { request as httpRequest } from 'node:http';
import t from 'tap';
import { LEVEL, type LogLine, startCapturedGateway } from './helpers/captured-gateway.js';
import { FAIL, HOLD, startSpyWorker } from './helpers/spy-worker.js';
import { waitFor, waitLive } from './helpers/stack.js';

// Expected outcomes are logged once, without a stack, at info (the caller's doing) or warn
// (capacity): with their code and the request id. Only INTERNAL is an error with a stack.

const ROW = [5, 3, 1.5, 0.2];

/** The lines a request logged, apart from the per-request access line (debug). */
function outcomeLines(lines: LogLine[], id: string): LogLine[] {
  return lines.filter((l) => l.request_id === id && l.msg !== 'request');
}

t.test(
  'each kind of unserved request is logged at its level, with a stack only for INTERNAL',
  async (t) => {
    const spy = await startSpyWorker(t);
    const full = await startSpyWorker(t, { queueMaxLength: 0 });
    const gw = await startCapturedGateway(t, { DEADLINE_DEFAULT_MS: '300' });
    const limited = await startCapturedGateway(t, { RATE_LIMIT_MAX: '1' });
    await waitLive(gw, spy.name);
    await waitLive(gw, full.name);

    const predict = (id: string, body: object, headers: Record<string, string> = {}) =>
      gw.app.inject({
        method: 'POST',
        url: '/predict',
        headers: { 'x-request-id': id, ...headers },
        payload: body,
      });
    const cases: {
      id: string;
      status: number;
      code: string;
      level: number;
      send: () => Promise<unknown>;
    }[] = [
      {
        id: 'log-bad-input',
        status: 400,
        code: 'BAD_INPUT',
        level: LEVEL.info,
        send: () => predict('log-bad-input', { model_name: spy.name, input_data: [] }),
      },
      {
        id: 'log-unknown',
        status: 404,
        code: 'UNKNOWN_MODEL',
        level: LEVEL.info,
        send: () => predict('log-unknown', { model_name: 'never-announced', input_data: [ROW] }),
      },
      {
        id: 'log-own-deadline',
        status: 504,
        code: 'TIMEOUT',
        level: LEVEL.info,
        send: () =>
          predict(
            'log-own-deadline',
            { model_name: spy.name, input_data: [[HOLD, 1, 1, 1]] },
            { 'x-request-timeout-ms': '50' },
          ),
      },
      {
        id: 'log-server-deadline',
        status: 504,
        code: 'TIMEOUT',
        level: LEVEL.warn,
        send: () =>
          predict('log-server-deadline', { model_name: spy.name, input_data: [[HOLD, 2, 2, 2]] }),
      },
      {
        id: 'log-overloaded',
        status: 503,
        code: 'OVERLOADED',
        level: LEVEL.warn,
        send: () => predict('log-overloaded', { model_name: full.name, input_data: [ROW] }),
      },
      {
        id: 'log-internal',
        status: 500,
        code: 'INTERNAL',
        level: LEVEL.error,
        send: () =>
          predict('log-internal', { model_name: spy.name, input_data: [[FAIL, 1, 1, 1]] }),
      },
    ];
    for (const c of cases) {
      const res = (await c.send()) as { statusCode: number; json(): { code: string } };
      t.equal(res.statusCode, c.status, `${c.id}: status`);
      t.equal(res.json().code, c.code, `${c.id}: code`);
      const logged = outcomeLines(gw.lines, c.id);
      t.equal(logged.length, 1, `${c.id}: one line`);
      const line = logged[0] as LogLine;
      t.equal(line.level, c.level, `${c.id}: level ${c.level}`);
      t.equal(line.code, c.code, `${c.id}: the line names the code`);
      if (c.code === 'INTERNAL') t.match(line.err?.stack, /\n\s+at /, 'INTERNAL: with its stack');
      else t.notOk(JSON.stringify(line).includes('\n    at '), `${c.id}: no stack`);
    }

    t.test('RATE_LIMITED is info, without a stack', async (t) => {
      const send = (id: string) =>
        limited.app.inject({ url: '/v1/models', headers: { 'x-request-id': id } });
      t.equal((await send('log-first')).statusCode, 200);
      const res = await send('log-limited');
      t.equal(res.statusCode, 429);
      const logged = outcomeLines(limited.lines, 'log-limited');
      t.equal(logged.length, 1);
      t.equal(logged[0]?.level, LEVEL.info);
      t.equal(logged[0]?.code, 'RATE_LIMITED');
      t.equal(logged[0]?.err, undefined);
    });

    t.test('a client that hangs up is one info line, and nothing at warn or above', async (t) => {
      const address = await gw.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = new URL(address);
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/predict',
        headers: {
          'content-type': 'application/json',
          'x-request-id': 'log-hangup',
          'x-request-timeout-ms': '400',
        },
      });
      req.on('error', () => {}); // our own hang-up
      req.end(JSON.stringify({ model_name: spy.name, input_data: [[HOLD, 3, 3, 3]] }));
      await waitFor('the request to reach the worker', () =>
        spy.seen.some((m) => m.messageId === 'log-hangup'),
      );
      req.destroy();
      await waitFor('the hang-up to be logged', () =>
        gw.lines.some((l) => l.request_id === 'log-hangup' && l.code === 'CLIENT_CLOSED'),
      );
      // The held call still runs to its deadline (the caller's own: info) with no one to tell.
      await waitFor('the deadline to pass', () =>
        gw.lines.some((l) => l.request_id === 'log-hangup' && l.code === 'TIMEOUT'),
      );
      const logged = outcomeLines(gw.lines, 'log-hangup');
      t.ok(logged.length >= 1);
      t.same(
        logged.filter((l) => l.level >= LEVEL.warn),
        [],
        'nothing at warn or above for a hang-up',
      );
      const closed = logged.find((l) => l.code === 'CLIENT_CLOSED');
      t.equal(closed?.level, LEVEL.info);
    });
  },
);
