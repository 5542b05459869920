import { once } from 'node:events';
import type { Channel } from 'amqplib';
import type { Test } from 'tap';
import t from 'tap';
import { DEFAULT_CLIENT_OPTIONS, PresencePublisher, PresenceTracker } from '../src/index.js';
import { silentLogger } from '../src/logger.js';
import { connectionSettings } from '../src/options.js';
import { PresenceLink } from '../src/presence-link.js';
import { AMQP_URL, admin, unique, until } from './helpers.js';

function exchanges(t: Test) {
  const exchange = unique('presence');
  const probeExchange = unique('probe');
  t.teardown(async () => {
    const model = await admin();
    const ch = await model.createChannel();
    await ch.deleteExchange(exchange);
    await ch.deleteExchange(probeExchange);
    await model.close();
  });
  return { exchange, probeExchange, url: AMQP_URL, logger: null };
}

t.test(
  'a tracker sees an announced service, its meta and live instances, then its goodbye',
  async (t) => {
    const names = exchanges(t);
    const tracker = new PresenceTracker<{ version: string }>(names);
    await tracker.start();
    let ready = false;
    const publisher = new PresencePublisher({
      ...names,
      service: 'mlapi.fast',
      intervalMs: 100,
      meta: () => ({ version: '1' }),
      ready: () => ready,
    });
    t.teardown(async () => {
      await publisher.stop();
      await tracker.stop();
    });
    const changed = once(tracker, 'change');
    await publisher.start();
    t.same(await changed, ['mlapi.fast']);
    t.same(tracker.services(), ['mlapi.fast']);
    t.same(tracker.meta('mlapi.fast'), { version: '1' });
    t.equal(tracker.liveInstances('mlapi.fast'), 0, 'not ready yet: not live');

    ready = true;
    await until(() => tracker.liveInstances('mlapi.fast') === 1);
    t.pass('a ready instance is live');

    await publisher.stop();
    await until(() => tracker.liveInstances('mlapi.fast') === 0);
    t.same(tracker.services(), ['mlapi.fast'], 'a known service stays known after goodbye');
    t.equal(tracker.liveInstances('mlapi.unknown'), 0);
    t.equal(tracker.meta('mlapi.unknown'), undefined);
  },
);

t.test('a new tracker learns the live instances by probe, not after an interval', async (t) => {
  const names = exchanges(t);
  // Declare the exchanges first so the publisher's first announce has somewhere to go.
  const publisher = new PresencePublisher({
    ...names,
    service: 'mlapi.slow',
    intervalMs: 3_600_000,
    meta: () => ({}),
    ready: () => true,
  });
  await publisher.start();
  const tracker = new PresenceTracker(names);
  t.teardown(async () => {
    await publisher.stop();
    await tracker.stop();
  });
  await tracker.start();
  // The next interval announce is an hour away: only the probe answer can make it live.
  await until(() => tracker.liveInstances('mlapi.slow') === 1);
  t.pass('known within a round trip');
});

t.test('an instance that stops announcing expires after ttlFactor intervals', async (t) => {
  const names = exchanges(t);
  const tracker = new PresenceTracker({ ...names, ttlFactor: 2 });
  await tracker.start();
  t.teardown(() => tracker.stop());
  const model = await admin();
  const ch = await model.createChannel();
  t.teardown(() => model.close());
  const announce = {
    kind: 'announce',
    service: 'mlapi.gone',
    instance: 'i-1',
    ready: true,
    intervalMs: 100,
    ts: Date.now(),
    meta: {},
  };
  ch.publish(names.exchange, '', Buffer.from(JSON.stringify(announce)));
  ch.publish(names.exchange, '', Buffer.from('not json'));
  ch.publish(names.exchange, '', Buffer.from('{"kind":"announce"}'));
  await until(() => tracker.liveInstances('mlapi.gone') === 1);
  const expired = once(tracker, 'change');
  t.same(await expired, ['mlapi.gone'], 'a change when it expires');
  t.equal(tracker.liveInstances('mlapi.gone'), 0);
  t.same(tracker.services(), ['mlapi.gone'], 'malformed messages were ignored');
});

t.test('an announcement cannot claim a liveness window beyond maxLivenessMs', async (t) => {
  const names = exchanges(t);
  const tracker = new PresenceTracker({ ...names, maxLivenessMs: 300 });
  await tracker.start();
  t.teardown(() => tracker.stop());
  const model = await admin();
  const ch = await model.createChannel();
  t.teardown(() => model.close());
  const announce = {
    kind: 'announce',
    service: 'mlapi.sticky',
    instance: 'i-1',
    ready: true,
    // Uncapped, 3 × one hour of liveness from a single message.
    intervalMs: 3_600_000,
    ts: Date.now(),
    meta: {},
  };
  const heardAt = Date.now();
  ch.publish(names.exchange, '', Buffer.from(JSON.stringify(announce)));
  await until(() => tracker.liveInstances('mlapi.sticky') === 1);
  await until(() => tracker.liveInstances('mlapi.sticky') === 0);
  const liveForMs = Date.now() - heardAt;
  t.ok(liveForMs < 5000, `expired after ${liveForMs} ms, not after hours`);
});

t.test('a tracker hears its own echo with no publisher; silentForMs grows when deaf', async (t) => {
  const names = exchanges(t);
  const tracker = new PresenceTracker({ ...names, echoMs: 50 });
  t.equal(tracker.silentForMs(), Number.POSITIVE_INFINITY, 'never heard before start');
  await tracker.start();
  t.teardown(() => tracker.stop());
  await until(() => tracker.silentForMs() < 200);
  t.pass('the echo came back with no worker announcing');
  t.same(tracker.services(), [], 'an echo is not a service');
});

t.test('a presence channel closed by the broker reopens while the connection lives', async (t) => {
  const names = exchanges(t);
  const heard: string[] = [];
  let channels = 0;
  const link = new PresenceLink({
    settings: connectionSettings({ url: AMQP_URL }, { ...DEFAULT_CLIENT_OPTIONS }),
    log: silentLogger,
    what: 'presence test link',
    exchange: names.exchange,
    probeExchange: names.probeExchange,
    listenTo: names.exchange,
    onMessage: (message) => heard.push(message.content.toString()),
    onChannel: () => channels++,
    onTick: () => undefined,
    tickMs: 1000,
  });
  await link.start();
  t.teardown(() => link.stop());
  const first = link.channel;
  t.ok(first !== null, 'a channel is open');
  t.equal(channels, 1);
  // A channel error: the broker closes this channel alone (404 on a queue that is not there).
  await (first as Channel).checkQueue(unique('absent')).catch(() => undefined);
  await until(() => link.channel !== null && link.channel !== first);
  t.equal(channels, 2, 'set up again on a new channel, on the same connection');

  const model = await admin();
  t.teardown(() => model.close());
  const ch = await model.createChannel();
  ch.publish(names.exchange, '', Buffer.from('after the heal'));
  await until(() => heard.includes('after the heal'));
  t.pass('the healed channel hears the exchange again');
});
