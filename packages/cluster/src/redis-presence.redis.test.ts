import { createServer, connect as connectTcp, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Bus } from './bus.ts';
import type { Presence, PresenceSignal } from './presence.ts';
import { presenceCases, runPresenceCase } from './presence.cases.ts';
import { createRedisBus } from './redis-bus.ts';
import { createRedisPresence } from './redis-presence.ts';
import { privateRedisForTests, redisForTests, uniquePrefix, waitUntil, type RedisServer } from './test-services.ts';

const url = await redisForTests();
const prefix = uniquePrefix('presence');
const silent = { info() {}, warn() {} };

describe.skipIf(!url)('Redis presence', () => {
  let bus: Bus;
  const opened: Presence[] = [];
  const node = (nodeId: string, extra: { url?: string; graceMs?: number; connectionTtlMs?: number } = {}) => {
    const presence = createRedisPresence({ url: extra.url ?? url!, log: silent, bus, prefix, nodeId, ...extra });
    opened.push(presence);
    return presence;
  };
  beforeAll(async () => {
    bus = createRedisBus({ url: url!, log: silent, prefix });
    await waitUntil(() => bus.state === 'up', 5_000, 'the bus to connect');
  });
  afterAll(async () => {
    await Promise.all(opened.map((p) => p.close()));
    await bus?.close();
  });

  // Real time on Redis's clock: periods long enough that scheduling noise stays inside the cases' margins.
  for (const [i, c] of presenceCases.entries()) {
    test.concurrent(c.name, async () => {
      const partitionId = `case${i}`;
      await runPresenceCase(
        {
          bus,
          make: async (periods) => {
            const presence = createRedisPresence({ url: url!, log: silent, bus, prefix, nodeId: `node-${i}`, ...periods });
            await waitUntil(() => presence.state === 'up', 5_000, 'presence to connect');
            return presence;
          },
          graceMs: 1_500,
          typingTtlMs: 1_200,
          typingThrottleMs: 700,
          sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
          partitionId,
        },
        i,
      );
    });
  }

  test('is shared by every node: a user connected on one node is online for the other until their last connection ends', async () => {
    const one = node('node-one');
    const two = node('node-two');
    await waitUntil(() => one.state === 'up' && two.state === 'up', 5_000, 'both to connect');
    const status = async (p: Presence) => (await p.snapshot('shared')).users.find((u) => u.userId === 'ada')?.status;
    const onOne = one.connect('shared', 'ada');
    expect(await status(one)).toBe('online');
    await waitUntil(async () => (await status(two)) === 'online', 5_000, 'node two to see ada');
    const onTwo = two.connect('shared', 'ada');
    onOne();
    await new Promise((r) => setTimeout(r, 100));
    expect(await status(one)).toBe('online');
    onTwo();
    await waitUntil(async () => (await status(one)) === 'reconnecting', 5_000, 'ada to be reconnecting');
  });

  test("a killed node's connections expire by themselves: the next sweep announces reconnecting as of its last refresh, then offline, once", async () => {
    // Node one reaches Redis through a proxy the test cuts: no refresh, no goodbye, like a kill -9.
    const proxy = await tcpProxy(new URL(url!).port ? Number(new URL(url!).port) : 6379);
    const periods = { graceMs: 1_500, connectionTtlMs: 900 };
    const one = node('doomed', { url: `redis://127.0.0.1:${proxy.port}`, ...periods });
    const two = node('survivor', periods);
    await waitUntil(() => one.state === 'up' && two.state === 'up', 5_000, 'both to connect');
    const status = async () => (await two.snapshot('killed')).users.find((u) => u.userId === 'ada');
    one.connect('killed', 'ada');
    await waitUntil(async () => (await status())?.status === 'online', 5_000, 'ada online');
    // Refreshes keep her online past one TTL.
    await new Promise((r) => setTimeout(r, 1_200));
    expect((await status())?.status).toBe('online');

    const killedAt = Date.now();
    proxy.cut();
    const announced: PresenceSignal[] = [];
    await waitUntil(
      async () => {
        announced.push(...(await two.sweep('killed')));
        return announced.some((s) => s.type === 'presence' && s.status === 'offline');
      },
      10_000,
      'the sweep to announce ada offline',
    );
    expect(announced.map((s) => s.type === 'presence' && `${s.userId}:${s.status}`)).toEqual(['ada:reconnecting', 'ada:offline']);
    const reconnecting = announced[0] as Extract<PresenceSignal, { type: 'presence' }>;
    // As of her last refresh (every 300 ms), not of when the sweep noticed.
    expect(reconnecting.lastSeenAt).toBeLessThanOrEqual(killedAt + 50);
    expect(reconnecting.lastSeenAt).toBeGreaterThan(killedAt - 1_000);
    expect(reconnecting.offlineAt).toBe(reconnecting.lastSeenAt! + periods.graceMs);
    expect(await status()).toEqual({ userId: 'ada', status: 'offline', lastSeenAt: reconnecting.lastSeenAt, offlineAt: null });
    expect(await two.sweep('killed')).toEqual([]);
    await one.close();
    proxy.close();
  });
});

const server = await privateRedisForTests();

describe.skipIf(!server)('Redis presence while Redis is away', () => {
  const warnings: string[] = [];
  const log = { info() {}, warn: (_: object, msg?: string) => void warnings.push(msg ?? '') };
  let bus: Bus;
  let presence: Presence;
  beforeAll(async () => {
    bus = createRedisBus({ url: server!.url, log: silent, prefix });
    presence = createRedisPresence({ url: server!.url, log, bus, prefix, nodeId: 'node', graceMs: 60_000 });
    await waitUntil(() => presence.state === 'up' && bus.state === 'up', 5_000, 'presence to connect');
  });
  afterAll(async () => {
    await presence?.close();
    await bus?.close();
    await (server as RedisServer).stop();
  });

  test('fails soft (state down, nothing known, nothing thrown, said once), and registers its connections again when Redis is back', async () => {
    presence.connect('away', 'ada');
    expect((await presence.snapshot('away')).users.map((u) => u.status)).toEqual(['online']);

    await server!.stop();
    await waitUntil(() => presence.state === 'down', 5_000, 'presence to notice');
    const started = Date.now();
    expect(await presence.snapshot('away')).toMatchObject({ state: 'down', users: [], typing: [] });
    expect(await presence.typing('away', 'room', 'ada')).toMatchObject({ published: false });
    await presence.stopTyping('away', 'room', 'ada');
    expect(await presence.sweep('away')).toEqual([]);
    presence.connect('away', 'bob')();
    expect(Date.now() - started, 'a down Redis must not hold requests').toBeLessThan(1_000);
    expect(warnings.filter((w) => w.includes('presence cannot reach Redis'))).toHaveLength(1);

    // It comes back empty: the node says again who is connected here.
    await server!.start();
    await waitUntil(() => presence.state === 'up', 10_000, 'presence to reconnect');
    await waitUntil(async () => (await presence.snapshot('away')).users.some((u) => u.userId === 'ada' && u.status === 'online'), 5_000, 'ada online again');
    expect((await presence.snapshot('away')).users.map((u) => u.userId)).toEqual(['ada']);
  });
});

/** A TCP proxy to a local port whose connections the test can cut at once (and refuse afterwards). */
function tcpProxy(targetPort: number): Promise<{ port: number; cut(): void; close(): void }> {
  const sockets = new Set<Socket>();
  let cut = false;
  const srv: Server = createServer((client) => {
    if (cut) return client.destroy();
    const upstream = connectTcp(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve) => {
    srv.listen(0, '127.0.0.1', () => {
      resolve({
        port: (srv.address() as { port: number }).port,
        cut() {
          cut = true;
          for (const s of sockets) s.destroy();
        },
        close() {
          srv.close();
        },
      });
    });
  });
}
