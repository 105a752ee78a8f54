import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, postgresForTests, type TestDatabase } from '@parley/db/test-services';
import type { ParleyNode } from '../src/node.ts';
import { messageBodies, signUp, startTestNode, subscribe, uuidv7 } from './helpers.ts';

const baseUrl = await postgresForTests();

describe.skipIf(!baseUrl)('resume over a real WebSocket (PostgreSQL)', () => {
  let testDb: TestDatabase;
  let node: ParleyNode;
  let a: Awaited<ReturnType<typeof signUp>>;
  let b: Awaited<ReturnType<typeof signUp>>;
  let roomId: string;
  const partitionId = 'resume';

  beforeAll(async () => {
    testDb = await createTestDatabase(baseUrl!);
    node = await startTestNode({ databaseUrl: testDb.url });
    a = await signUp(node.url, 'alice');
    b = await signUp(node.url, 'bob');
    const { inviteCode } = await a.client.trpc.partition.create.mutate({ id: partitionId, name: 'Resume' });
    await b.client.trpc.partition.join.mutate({ inviteCode });
    roomId = (await a.client.trpc.room.list.query({ partitionId }))[0]!.id;
  });
  afterAll(async () => {
    await a?.client.close();
    await b?.client.close();
    await node?.close();
    await testDb?.drop();
  });

  const sendMany = async (n: number, prefix: string) => {
    for (let i = 0; i < n; i++) {
      await b.client.trpc.message.send.mutate({ partitionId, roomId, clientId: uuidv7(), body: `${prefix}${i}` });
    }
  };

  test('A disconnects, B sends 50, A reconnects with its last event id and gets exactly those 50 in order', async () => {
    const first = subscribe(a.client, partitionId, 0);
    await first.until((es) => es.length >= 5);
    const lastSeen = first.ids.at(-1)!;
    first.stop();
    await a.client.close();

    await sendMany(50, 'offline-');

    a = { ...a, client: (await import('./helpers.ts')).connect(node.url, a.token) };
    const resumed = subscribe(a.client, partitionId, lastSeen);
    await resumed.until((es) => messageBodies(es).length >= 50);
    await new Promise((r) => setTimeout(r, 300));
    expect(messageBodies(resumed.events)).toEqual(Array.from({ length: 50 }, (_, i) => `offline-${i}`));
    expect(resumed.ids).toEqual(resumed.ids.map((_, i) => lastSeen + 1 + i));
    resumed.stop();
  });

  test('an open client survives a server restart and resumes where it was, with no loss and no duplicate', async () => {
    // From the current head, not live (null): a live start attaches some time after the request
    // is sent, and a message committed before that would not be part of the stream.
    const { lastEventId: head } = await a.client.trpc.event.head.query({ partitionId });
    const live = subscribe(a.client, partitionId, head);
    await sendMany(5, 'before-');
    await live.until((es) => messageBodies(es).length >= 5);

    const port = node.port;
    await node.close();
    // While the server is down B cannot send; A's link keeps retrying.
    node = await startTestNode({ databaseUrl: testDb.url, port });
    await sendMany(50, 'after-');

    await live.until((es) => messageBodies(es).length >= 55, 60_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(messageBodies(live.events)).toEqual([...Array.from({ length: 5 }, (_, i) => `before-${i}`), ...Array.from({ length: 50 }, (_, i) => `after-${i}`)]);
    const ids = live.ids;
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    live.stop();
  });
});
