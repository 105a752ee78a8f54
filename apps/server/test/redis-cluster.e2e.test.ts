import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { errorCode, retryAfterMs } from '@parley/client';
import { privateRedisForTests, waitUntil } from '@parley/cluster/test-services';
import { createTestDatabase, postgresForTests, type TestDatabase } from '@parley/db/test-services';
import { connect, messageBodies, signUp, spawnNode, subscribe, uuidv7, type NodeProcess } from './helpers.ts';

const baseUrl = await postgresForTests();
const redis = await privateRedisForTests();

interface Health {
  status: string;
  redis: string;
  bus: string;
  rateLimiter: string;
  partitionFeeds: number;
}
const health = async (node: NodeProcess) => (await (await fetch(`${node.url}/health`)).json()) as Health;
const healthUntil = (node: NodeProcess, ok: (h: Health) => boolean, what: string) =>
  waitUntil(async () => ok(await health(node)), 15_000, `${what} on ${node.url}`);

/**
 * Two node processes on one PostgreSQL database and one Redis (a private redis-server the test
 * kills and restarts). The safety poll is 60 s, so anything arriving within seconds while
 * Redis is up came through Redis; while it is down the nodes poll the log every 200 ms.
 */
describe.skipIf(!baseUrl || !redis)('two nodes with Redis, and without it for a while', () => {
  let testDb: TestDatabase;
  const nodes: NodeProcess[] = [];
  const partitionId = 'rediscluster';

  beforeAll(async () => {
    testDb = await createTestDatabase(baseUrl!);
    const env = {
      DATABASE_URL: testDb.url,
      REDIS_URL: redis!.url,
      EVENT_POLL_MS: '200',
      EVENT_SAFETY_POLL_MS: '60000',
      RATE_LIMIT_LOGIN: '3/15m',
    };
    nodes.push(await spawnNode({ ...env, SERVER_ID: 'node-1' }));
    nodes.push(await spawnNode({ ...env, SERVER_ID: 'node-2' }));
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
    await testDb?.drop();
  });

  test('live through Redis; by polling (and /health degraded) while it is gone; live again when it is back', async () => {
    const [one, two] = nodes as [NodeProcess, NodeProcess];
    for (const node of nodes) {
      expect(await health(node)).toMatchObject({ status: 'ok', redis: 'up', bus: 'up', rateLimiter: 'up' });
    }
    const owner = await signUp(one.url, 'owner');
    await owner.client.trpc.partition.create.mutate({ id: partitionId, name: 'Redis cluster' });
    const roomId = (await owner.client.trpc.room.list.query({ partitionId }))[0]!.id;
    const send = (body: string) => owner.client.trpc.message.send.mutate({ partitionId, roomId, clientId: uuidv7(), body });

    const reader = connect(two.url, owner.token);
    // From the head, so nothing can fall between; node 2's feed only learns of node 1's writes
    // through Redis or its (60 s) poll, so arriving within seconds still means Redis.
    const { lastEventId: head } = await reader.trpc.event.head.query({ partitionId });
    const live = subscribe(reader, partitionId, head);
    try {
      await healthUntil(two, (h) => h.partitionFeeds === 1, 'the subscription to attach');
      await new Promise((r) => setTimeout(r, 200));

      await send('through redis');
      await live.until((es) => messageBodies(es).includes('through redis'), 5_000);

      await redis!.stop();
      for (const node of nodes) await healthUntil(node, (h) => h.status === 'degraded' && h.redis === 'down', 'degraded');
      await send('while redis is gone');
      await live.until((es) => messageBodies(es).includes('while redis is gone'), 5_000);

      await redis!.start();
      for (const node of nodes) await healthUntil(node, (h) => h.status === 'ok' && h.redis === 'up', 'recovery');
      await send('redis is back');
      await live.until((es) => messageBodies(es).includes('redis is back'), 5_000);

      expect(messageBodies(live.events)).toEqual(['through redis', 'while redis is gone', 'redis is back']);
      expect(live.ids).toEqual(live.ids.map((_, i) => live.ids[0]! + i));
      expect(live.errors).toEqual([]);
    } finally {
      live.stop();
      await reader.close();
      await owner.client.close();
    }
  });

  test('sign-in attempts are counted across nodes in Redis, and allowed (fail open) while Redis is gone', async () => {
    const [one, two] = nodes as [NodeProcess, NodeProcess];
    await signUp(one.url, 'victim');
    const attempt = async (node: NodeProcess) => {
      const anon = connect(node.url);
      try {
        return await anon.trpc.auth.login.mutate({ username: 'victim', password: 'not the password', session: 'token' }).then(
          () => null,
          (e: unknown) => e,
        );
      } finally {
        await anon.close();
      }
    };
    expect(errorCode(await attempt(one))).toBe('UNAUTHORIZED');
    expect(errorCode(await attempt(two))).toBe('UNAUTHORIZED');
    expect(errorCode(await attempt(one))).toBe('UNAUTHORIZED');
    const refused = await attempt(two);
    expect(errorCode(refused)).toBe('TOO_MANY_REQUESTS');
    expect(retryAfterMs(refused)).toBeGreaterThan(14 * 60_000);

    await redis!.stop();
    await healthUntil(two, (h) => h.rateLimiter === 'down', 'the limiter to notice');
    expect(errorCode(await attempt(two))).toBe('UNAUTHORIZED');
    await redis!.start();
    await healthUntil(two, (h) => h.status === 'ok', 'recovery');
  });
});
