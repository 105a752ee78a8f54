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
});
