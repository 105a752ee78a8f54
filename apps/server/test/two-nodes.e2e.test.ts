import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDb } from '@parley/db';
import { createTestDatabase, postgresForTests, type TestDatabase } from '@parley/db/test-services';
import { connect, messageBodies, signUp, spawnNode, subscribe, uuidv7, type NodeProcess } from './helpers.ts';

const baseUrl = await postgresForTests();

const SENDERS = 20;
const PER_SENDER = 10;

describe.skipIf(!baseUrl)('two server processes on one PostgreSQL database', () => {
  let testDb: TestDatabase;
  const nodes: NodeProcess[] = [];
  const partitionId = 'duo';

  beforeAll(async () => {
    testDb = await createTestDatabase(baseUrl!);
    // Start one first so the two do not race on the initial migration... then a second.
    nodes.push(await spawnNode({ DATABASE_URL: testDb.url, SERVER_ID: 'node-a', EVENT_POLL_MS: '200' }));
    nodes.push(await spawnNode({ DATABASE_URL: testDb.url, SERVER_ID: 'node-b', EVENT_POLL_MS: '200' }));
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await testDb?.drop();
  });

  test(`${SENDERS} concurrent senders through both nodes leave event ids 1..N with no gap, and any resume gets exactly the rest`, async () => {
    const [a, b] = nodes as [NodeProcess, NodeProcess];
    const owner = await signUp(a.url, 'owner');
    const { inviteCode } = await owner.client.trpc.partition.create.mutate({ id: partitionId, name: 'Duo' });
    const roomId = (await owner.client.trpc.room.list.query({ partitionId }))[0]!.id;

    // A watcher on node A sees, live, what is sent through node B (no shared bus: the log poll).
    const watcher = subscribe(owner.client, partitionId, null);

    const senders = await Promise.all(
      Array.from({ length: SENDERS }, async (_, i) => {
        const s = await signUp((i % 2 ? b : a).url, `sender${i}`);
        await s.client.trpc.partition.join.mutate({ inviteCode });
        return s;
      }),
    );
    const sent: string[] = [];
    await Promise.all(
      senders.map(async (s, i) => {
        for (let k = 0; k < PER_SENDER; k++) {
          const body = `s${i}-m${k}`;
          const clientId = uuidv7();
          await s.client.trpc.message.send.mutate({ partitionId, roomId, clientId, body });
          // Every third message is retried, as a client would after a lost response.
          if (k % 3 === 0) await s.client.trpc.message.send.mutate({ partitionId, roomId, clientId, body });
          sent.push(body);
        }
      }),
    );

    const { db, close } = await createDb({ databaseUrl: testDb.url });
    try {
      const ids = (await db.selectFrom('events_duo').select('id').orderBy('id').execute()).map((r) => r.id);
      expect(ids).toEqual(ids.map((_, i) => i + 1));
      const counter = await db.selectFrom('partitions').select('last_event_id').where('id', '=', partitionId).executeTakeFirstOrThrow();
      expect(counter.last_event_id).toBe(ids.length);
      const msgs = await db
        .selectFrom('messages_duo')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(msgs.n)).toBe(SENDERS * PER_SENDER);

      await watcher.until((es) => messageBodies(es).length >= SENDERS * PER_SENDER);
      expect(new Set(messageBodies(watcher.events))).toEqual(new Set(sent));
      expect(watcher.ids).toEqual([...watcher.ids].sort((x, y) => x - y));
      watcher.stop();

      // Resume from several positions, through node B: exactly the rest, in order.
      const last = ids.at(-1)!;
      for (const from of [0, 1, Math.floor(last / 3), last - 7, last]) {
        const client = connect(b.url, owner.token);
        const log = subscribe(client, partitionId, from);
        if (from < last) await log.until((es) => es.length > 0 && es.at(-1)!.id === last);
        await new Promise((r) => setTimeout(r, 200));
        expect(log.ids).toEqual(Array.from({ length: last - from }, (_, i) => from + 1 + i));
        log.stop();
        await client.close();
      }
    } finally {
      await close();
      await owner.client.close();
      await Promise.all(senders.map((s) => s.client.close()));
    }
  });

  test('SIGTERM stops a node cleanly (exit code 0) while the other keeps serving', async () => {
    const [a, b] = nodes as [NodeProcess, NodeProcess];
    expect(await b.stop('SIGTERM')).toBe(0);
    expect((await fetch(`${a.url}/ready`)).status).toBe(200);
  });
});
