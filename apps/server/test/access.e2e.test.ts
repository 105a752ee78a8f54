import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { errorCode } from '@parley/client';
import { ACCESS_CACHE_TTL_MS } from '@parley/api';
import { privateRedisForTests, waitUntil } from '@parley/cluster/test-services';
import { createTestDatabase, postgresForTests, type TestDatabase } from '@parley/db/test-services';
import { connect, signUp, spawnNode, subscribe, uuidv7, type NodeProcess } from './helpers.ts';

const baseUrl = await postgresForTests();
const redis = await privateRedisForTests();

const health = async (node: NodeProcess) => (await (await fetch(`${node.url}/health`)).json()) as { status: string; partitionFeeds: number };

/** Polls `check` until it holds and returns how long that took from `since`. */
async function msUntil(since: number, check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  await waitUntil(check, timeoutMs, what);
  return Date.now() - since;
}

/**
 * Two node processes on one PostgreSQL and one Redis. Each node keeps validated sessions and
 * memberships for ACCESS_CACHE_TTL_MS; a sign-out or a password change on one node must stop
 * the session on the other at once (through Redis), and within that TTL while Redis is down.
 */
describe.skipIf(!baseUrl || !redis)('revoking a session across two nodes', () => {
  let testDb: TestDatabase;
  const nodes: NodeProcess[] = [];
  let one: NodeProcess;
  let two: NodeProcess;

  beforeAll(async () => {
    testDb = await createTestDatabase(baseUrl!);
    const env = { DATABASE_URL: testDb.url, REDIS_URL: redis!.url, EVENT_POLL_MS: '200' };
    nodes.push(await spawnNode({ ...env, SERVER_ID: 'access-1' }));
    nodes.push(await spawnNode({ ...env, SERVER_ID: 'access-2' }));
    [one, two] = nodes as [NodeProcess, NodeProcess];
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
    await testDb?.drop();
  });

  test('a sign-out on one node stops the session on the other at once: its calls and its live stream', async () => {
    const ann = await signUp(one.url, 'ann');
    await ann.client.trpc.partition.create.mutate({ id: 'access_a', name: 'Access' });
    const onTwo = connect(two.url, ann.token);
    try {
      // Node 2 validates the session and the membership, and keeps both.
      for (let i = 0; i < 3; i++) expect(await onTwo.trpc.event.head.query({ partitionId: 'access_a' })).toBeTruthy();
      const live = subscribe(onTwo, 'access_a');
      await waitUntil(async () => (await health(two)).partitionFeeds === 1, 10_000, 'the stream to attach on node 2');

      const signedOut = Date.now();
      await ann.client.trpc.auth.logout.mutate();
      const callsStopped = await msUntil(signedOut, async () => (await onTwo.trpc.auth.me.query()) === null, 3_000, 'node 2 to refuse the session');
      const streamEnded = await msUntil(signedOut, async () => live.errors.length > 0, 3_000, 'the stream on node 2 to end');
      expect(errorCode(live.errors[0])).toBe('UNAUTHORIZED');
      // Through Redis, in milliseconds: far inside the cache's TTL (and the stream's minute).
      expect(callsStopped).toBeLessThan(ACCESS_CACHE_TTL_MS / 2);
      expect(streamEnded).toBeLessThan(ACCESS_CACHE_TTL_MS / 2);
      expect(await onTwo.trpc.partition.list.query().catch(errorCode)).toBe('UNAUTHORIZED');
    } finally {
      await Promise.all([onTwo.close(), ann.client.close()]);
    }
  });

  test('a password change on one node ends every session of the user on every node at once', async () => {
    const ben = await signUp(one.url, 'ben');
    const second = connect(two.url, (await ben.client.trpc.auth.login.mutate({ username: 'ben', password: 'correct horse battery', session: 'token' })).token);
    try {
      expect((await second.trpc.auth.me.query())?.username).toBe('ben');
      const changed = Date.now();
      const fresh = await ben.client.trpc.auth.changePassword.mutate({ currentPassword: 'correct horse battery', newPassword: 'a new long password' });
      const stopped = await msUntil(changed, async () => (await second.trpc.auth.me.query()) === null, 3_000, 'node 2 to refuse the old session');
      expect(stopped).toBeLessThan(ACCESS_CACHE_TTL_MS / 2);
      const renewed = connect(two.url, fresh.token);
      expect((await renewed.trpc.auth.me.query())?.username).toBe('ben');
      await renewed.close();
    } finally {
      await Promise.all([second.close(), ben.client.close()]);
    }
  });

  test('a role change and a removal on one node hold on the other at once: the viewer cannot write there, the removed member is cut off', async () => {
    const owner = await signUp(one.url, 'olga');
    const { inviteCode } = await owner.client.trpc.partition.create.mutate({ id: 'access_r', name: 'Roles' });
    const dan = await signUp(one.url, 'dan');
    await dan.client.trpc.partition.join.mutate({ inviteCode });
    const general = (await owner.client.trpc.room.list.query({ partitionId: 'access_r' }))[0]!.id;
    const onTwo = connect(two.url, dan.token);
    const send = (body: string) =>
      onTwo.trpc.message.send.mutate({ partitionId: 'access_r', roomId: general, clientId: uuidv7(), body }).then(
        () => 'sent',
        (error: unknown) => errorCode(error),
      );
    try {
      // Node 2 caches Dan's role as a member.
      expect(await send('hello')).toBe('sent');
      expect(await send('again')).toBe('sent');

      await owner.client.trpc.partition.setRole.mutate({ partitionId: 'access_r', userId: dan.user.id, role: 'viewer' });
      // At once, not after the cache's TTL: the first send after the change is refused.
      expect(await send('as a viewer')).toBe('FORBIDDEN');

      await owner.client.trpc.partition.setRole.mutate({ partitionId: 'access_r', userId: dan.user.id, role: 'member' });
      expect(await send('a member again')).toBe('sent');

      const live = subscribe(onTwo, 'access_r');
      await waitUntil(async () => (await health(two)).partitionFeeds === 1, 10_000, 'the stream to attach on node 2');
      await owner.client.trpc.partition.removeMember.mutate({ partitionId: 'access_r', userId: dan.user.id });
      await waitUntil(async () => live.errors.length > 0, 3_000, "the removed member's stream on node 2 to end");
      expect(live.events.map((e) => e.type)).toEqual(['member.left', 'partition.left']);
      expect(errorCode(live.errors[0])).toBe('FORBIDDEN');
      expect(await send('still here?')).toBe('NOT_FOUND');
      expect(await onTwo.trpc.partition.list.query()).toEqual([]);
    } finally {
      await Promise.all([onTwo.close(), owner.client.close(), dan.client.close()]);
    }
  });

  test('while Redis is down, a session signed out on one node stops on the other within the cache TTL', async () => {
    await redis!.stop();
    for (const node of nodes) await waitUntil(async () => (await health(node)).status === 'degraded', 15_000, 'degraded');
    const cat = await signUp(one.url, 'cat');
    const onTwo = connect(two.url, cat.token);
    try {
      expect((await onTwo.trpc.auth.me.query())?.username).toBe('cat');
      const signedOut = Date.now();
      await cat.client.trpc.auth.logout.mutate();
      const stopped = await msUntil(
        signedOut,
        async () => (await onTwo.trpc.auth.me.query()) === null,
        ACCESS_CACHE_TTL_MS + 2_000,
        'node 2 to refuse the session',
      );
      expect(stopped).toBeLessThanOrEqual(ACCESS_CACHE_TTL_MS + 1_000);
    } finally {
      await Promise.all([onTwo.close(), cat.client.close()]);
      await redis!.start();
      for (const node of nodes) await waitUntil(async () => (await health(node)).status === 'ok', 15_000, 'recovery');
    }
  });
});
