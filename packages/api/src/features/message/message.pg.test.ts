import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, postgresForTests, type TestDatabase } from '@parley/db/test-services';
import { createTestApi, type TestApi, type TestUser } from '../../testing.ts';
import { newClientId } from '../../test-util.ts';

const baseUrl = await postgresForTests();

describe.skipIf(!baseUrl)('message send on PostgreSQL', () => {
  let testDb: TestDatabase;
  let api: TestApi;
  let ann: TestUser;
  let roomId: string;
  const P = { partitionId: 'pgmsg' };

  beforeAll(async () => {
    testDb = await createTestDatabase(baseUrl!);
    api = await createTestApi({ databaseUrl: testDb.url });
    ann = await api.signUp('ann');
    await ann.caller.partition.create({ id: 'pgmsg', name: 'PG' });
    roomId = (await ann.caller.room.list(P))[0]!.id;
  });
  afterAll(async () => {
    await api?.close();
    await testDb?.drop();
  });

  test('the same clientId sent 10 times at once gives one message, one event, and no gap', async () => {
    const clientId = newClientId();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => ann.caller.message.send({ ...P, roomId, clientId, body: 'racing' })),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    const rows = await api.deps.db.selectFrom('messages_pgmsg').select('id').where('client_id', '=', clientId).execute();
    expect(rows).toHaveLength(1);
    // A following send gets the very next id: the losers consumed none.
    const next = await ann.caller.message.send({ ...P, roomId, clientId: newClientId(), body: 'next' });
    expect(next.eventId).toBe(results[0]!.eventId + 1);
    const ids = (await api.deps.db.selectFrom('events_pgmsg').select('id').orderBy('id').execute()).map((r) => r.id);
    expect(ids).toEqual(ids.map((_, i) => i + 1));
  });

  test('100 concurrent different sends commit in id order with dense ids', async () => {
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => ann.caller.message.send({ ...P, roomId, clientId: newClientId(), body: `c${i}` })),
    );
    const ids = (await api.deps.db.selectFrom('events_pgmsg').select('id').orderBy('id').execute()).map((r) => r.id);
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    const positions = (await api.deps.db.selectFrom('messages_pgmsg').select('event_id').execute()).map((r) => r.event_id);
    expect(new Set(positions).size).toBe(positions.length);
  });

  test('concurrent sends are group-committed: fewer statements than messages, ids still dense and in arrival order', async () => {
    const before = { ...api.deps.messageWriter.stats };
    const sent = await Promise.all(
      Array.from({ length: 200 }, (_, i) => ann.caller.message.send({ ...P, roomId, clientId: newClientId(), body: `g${i}` })),
    );
    const batches = api.deps.messageWriter.stats.batches - before.batches;
    expect(api.deps.messageWriter.stats.messages - before.messages).toBe(200);
    expect(batches).toBeLessThan(200);
    expect(api.deps.messageWriter.stats.largestBatch).toBeGreaterThan(1);
    const ids = sent.map((m) => m.eventId).sort((a, b) => a - b);
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
    const events = (await api.deps.db.selectFrom('events_pgmsg').select('id').orderBy('id').execute()).map((r) => r.id);
    expect(events).toEqual(events.map((_, i) => i + 1));
  });

  test('one bad send in a group commit fails alone; its neighbours are written', async () => {
    const duplicate = newClientId();
    await ann.caller.message.send({ ...P, roomId, clientId: duplicate, body: 'first' });
    const writer = api.deps.messageWriter;
    const item = (clientId: string, body: string) => ({
      id: newClientId(),
      roomId,
      authorId: ann.id,
      clientId,
      body,
      eventData: { body },
    });
    const partitionId = P.partitionId as Parameters<typeof writer.write>[0];
    // A write in flight makes the next three wait and go together as one statement.
    const results = await Promise.allSettled([
      writer.write(partitionId, item(newClientId(), 'a')),
      writer.write(partitionId, item(newClientId(), 'b')),
      writer.write(partitionId, item(duplicate, 'dup')),
      writer.write(partitionId, item(newClientId(), 'c')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const events = (await api.deps.db.selectFrom('events_pgmsg').select('id').orderBy('id').execute()).map((r) => r.id);
    expect(events).toEqual(events.map((_, i) => i + 1));
  });
});
