import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ParleyEvent } from '@parley/client';
import { privateRedisForTests } from '@parley/cluster/test-services';
import { createTestDatabase, postgresForTests, type TestDatabase } from '@parley/db/test-services';
import { RELAXED_RATE_LIMIT_ENV, signUp, spawnNode, subscribe, uuidv7, type EventLog, type NodeProcess } from './helpers.ts';

const baseUrl = await postgresForTests();
const redis = await privateRedisForTests();

/**
 * Private rooms and direct messages across two node processes (one PostgreSQL, one Redis): what
 * happens on node 1 reaches only its members' streams on node 2, and someone removed from a
 * private room gets their `member.left` there and nothing more of the room.
 */
describe.skipIf(!baseUrl || !redis)('conversations stay private across nodes', () => {
  let testDb: TestDatabase;
  const nodes: NodeProcess[] = [];

  beforeAll(async () => {
    testDb = await createTestDatabase(baseUrl!);
    const env = { ...RELAXED_RATE_LIMIT_ENV, DATABASE_URL: testDb.url, REDIS_URL: redis!.url, EVENT_POLL_MS: '200' };
    nodes.push(await spawnNode({ ...env, SERVER_ID: 'conv-1' }));
    nodes.push(await spawnNode({ ...env, SERVER_ID: 'conv-2' }));
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
    await testDb?.drop();
  });

  test('a non-member and a third party on the other node receive none of a private room’s or a DM’s events', async () => {
    const [one, two] = nodes as [NodeProcess, NodeProcess];
    const ann = await signUp(one.url, 'ann');
    const P = { partitionId: 'conv_e2e' };
    const { inviteCode } = await ann.client.trpc.partition.create.mutate({ id: P.partitionId, name: 'Conv' });
    const [bob, cid, dee] = await Promise.all(['bob', 'cid', 'dee'].map((name) => signUp(two.url, name)));
    for (const u of [bob!, cid!, dee!]) await u.client.trpc.partition.join.mutate({ inviteCode });
    const head = (await ann.client.trpc.event.head.query(P)).lastEventId;
    // Everyone streams from node 2.
    const [bobLog, cidLog, deeLog] = [bob!, cid!, dee!].map((u) => subscribe(u.client, P.partitionId, head)) as [EventLog, EventLog, EventLog];
    try {
      // Every stream is live before anything happens (a stream that attaches later replays by
      // the rooms its user is in by then, history included, which is right but not this test).
      await ann.client.trpc.announcement.create.mutate({ ...P, body: 'ready', opId: uuidv7() });
      const ready = (events: ParleyEvent[]) => events.some((e) => e.type === 'announcement.created' && e.data.body === 'ready');
      await Promise.all([bobLog, cidLog, deeLog].map((log) => log.until(ready)));
      const secret = await ann.client.trpc.room.create.mutate({ ...P, name: 'secret', visibility: 'private' });
      await ann.client.trpc.room.addMember.mutate({ ...P, roomId: secret.id, userId: bob!.user.id });
      const dm = await ann.client.trpc.dm.open.mutate({ ...P, userIds: [dee!.user.id] });
      const send = (roomId: string, body: string) => ann.client.trpc.message.send.mutate({ ...P, roomId, clientId: uuidv7(), body });
      await send(secret.id, 'for bob');
      await send(dm.id, 'for dee');
      await ann.client.trpc.room.removeMember.mutate({ ...P, roomId: secret.id, userId: bob!.user.id });
      await send(secret.id, 'after bob');
      await ann.client.trpc.room.update.mutate({ ...P, roomId: secret.id, topic: 'after bob' });
      await ann.client.trpc.announcement.create.mutate({ ...P, body: 'marker', opId: uuidv7() });
      const marker = (events: ParleyEvent[]) => events.some((e) => e.type === 'announcement.created' && e.data.body === 'marker');
      await Promise.all([bobLog, cidLog, deeLog].map((log) => log.until(marker)));

      const of = (events: ParleyEvent[], roomId: string) =>
        events.filter((e) => e.roomId === roomId).map((e) => (e.type === 'message.created' ? `${e.type}:${e.data.body}` : e.type));
      expect(of(cidLog.events, secret.id)).toEqual([]);
      expect(of(cidLog.events, dm.id)).toEqual([]);
      expect(of(bobLog.events, dm.id)).toEqual([]);
      expect(of(bobLog.events, secret.id)).toEqual(['member.joined', 'message.created:for bob', 'member.left']);
      expect(of(deeLog.events, dm.id)).toEqual(['room.created', 'member.joined', 'member.joined', 'message.created:for dee']);
      expect(of(deeLog.events, secret.id)).toEqual([]);
      // Node 2 answers the same for reads: the room is not there for those outside it.
      expect((await cid!.client.trpc.room.list.query(P)).some((r) => r.id === secret.id || r.id === dm.id)).toBe(false);
      await expect(bob!.client.trpc.message.list.query({ ...P, roomId: secret.id })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    } finally {
      for (const log of [bobLog, cidLog, deeLog]) log.stop();
      await Promise.all([ann, bob!, cid!, dee!].map((u) => u.client.close()));
    }
  });
});
