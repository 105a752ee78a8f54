import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import type { Bus, BusState } from './bus.ts';
import { createRedisBus } from './redis-bus.ts';
import { privateRedisForTests, redisForTests, uniquePrefix, waitUntil } from './test-services.ts';

const url = await redisForTests();
const prefix = uniquePrefix('bus');
const silent = { info() {}, warn() {} };

const opened: Bus[] = [];
function bus(opts: { url: string; prefix?: string; name?: string }): Bus {
  const b = createRedisBus({ log: silent, prefix, ...opts });
  opened.push(b);
  return b;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.close()));
});

const up = (...buses: Bus[]) => waitUntil(() => buses.every((b) => b.state === 'up'), 10_000, 'the bus to be up');

describe.skipIf(!url)('Redis bus', () => {
  test('a message published on one node reaches the subscribers on another, in order', async () => {
    const a = bus({ url: url! });
    const b = bus({ url: url! });
    await up(a, b);
    const got: unknown[] = [];
    const off = a.subscribe('events:p1', (m) => got.push(m));
    await off.ready;
    for (let i = 1; i <= 100; i++) await b.publish('events:p1', { id: i });
    await waitUntil(() => got.length === 100, 5_000, '100 messages');
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => ({ id: i + 1 })));
  });

  test('each handler gets its own copy; unsubscribing stops delivery; other channels and prefixes stay apart', async () => {
    const a = bus({ url: url! });
    const b = bus({ url: url! });
    const stranger = bus({ url: url!, prefix: uniquePrefix('bus-other') });
    await up(a, b, stranger);
    const first: { n: number }[] = [];
    const second: { n: number }[] = [];
    const offFirst = a.subscribe('c', (m) => {
      const msg = m as { n: number };
      msg.n = -1;
      first.push(msg);
    });
    const offSecond = a.subscribe('c', (m) => second.push(m as { n: number }));
    const elsewhere: unknown[] = [];
    await stranger.subscribe('c', (m) => elsewhere.push(m)).ready;
    await a.subscribe('d', (m) => elsewhere.push(m)).ready;
    await Promise.all([offFirst.ready, offSecond.ready]);

    await b.publish('c', { n: 1 });
    await waitUntil(() => second.length === 1, 5_000, 'delivery');
    expect(second).toEqual([{ n: 1 }]);
    expect(first).toEqual([{ n: -1 }]);

    offFirst();
    offSecond();
    await b.publish('c', { n: 2 });
    await b.publish('d', { n: 3 });
    await waitUntil(() => elsewhere.length === 1, 5_000, 'delivery on d');
    expect(elsewhere).toEqual([{ n: 3 }]);
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(1);
  });
});

const server = await privateRedisForTests();

describe.skipIf(!server)('Redis bus when Redis goes away and comes back', () => {
  afterAll(() => server?.stop());
  // A failed test must not leave the next one without its server.
  afterEach(() => server?.start());

  test('state goes down and up with the connection, publish never throws, channels are subscribed again', async () => {
    const a = bus({ url: server!.url, name: 'bus-a' });
    const b = bus({ url: server!.url, name: 'bus-b' });
    const states: BusState[] = [];
    a.onStateChange((s) => states.push(s));
    await up(a, b);
    const got: unknown[] = [];
    await a.subscribe('events:p', (m) => got.push(m)).ready;
    await b.publish('events:p', 'before');
    await waitUntil(() => got.length === 1, 5_000, 'delivery before the outage');

    await server!.stop();
    await waitUntil(() => a.state === 'down' && b.state === 'down', 5_000, 'both buses to notice');
    expect(states).toEqual(['up', 'down']);
    await expect(b.publish('events:p', 'lost')).resolves.toBeUndefined();
    // Subscribing while down is remembered and done on reconnect; ready does not wait for it.
    const late: unknown[] = [];
    await a.subscribe('events:q', (m) => late.push(m)).ready;

    await server!.start();
    await up(a, b);
    expect(states).toEqual(['up', 'down', 'up']);
    await b.publish('events:p', 'after');
    await b.publish('events:q', 'late');
    await waitUntil(() => got.length === 2 && late.length === 1, 5_000, 'delivery after the outage');
    expect(got).toEqual(['before', 'after']);
    expect(late).toEqual(['late']);
  });

  test('close() quits both connections', async () => {
    const a = bus({ url: server!.url, name: 'closing-bus' });
    await up(a);
    const admin = new Redis(server!.url);
    try {
      const names = async () => String(await admin.client('LIST')).match(/name=closing-bus:\w+/g) ?? [];
      expect((await names()).sort()).toEqual(['name=closing-bus:pub', 'name=closing-bus:sub']);
      await a.close();
      expect(a.state).toBe('down');
      await expect(a.publish('x', 1)).resolves.toBeUndefined();
      await waitUntil(async () => (await names()).length === 0, 5_000, 'the connections to be gone');
    } finally {
      admin.disconnect();
    }
  });
});
