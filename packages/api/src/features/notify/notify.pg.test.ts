import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, postgresForTests, type TestDatabase } from '@parley/db/test-services';
import { createTestApi, createTestWorkspace, type TestApi, type TestUser } from '../../testing.ts';
import { newClientId, takeEvents, trpcError } from '../../test-util.ts';
import type { ParleyEvent } from '../event/event.types.ts';

const baseUrl = await postgresForTests();

describe.skipIf(!baseUrl)('notification levels on PostgreSQL', () => {
  let testDb: TestDatabase;
  let api: TestApi;
  let ann: TestUser;
  let ben: TestUser;
  let cat: TestUser;
  let general: string;
  let dm: string;
  let secret: string;
  const P = { partitionId: 'pgnotify' };
  const lastEventId = async () =>
    (await api.deps.db.selectFrom('partitions').select('last_event_id').where('id', '=', P.partitionId).executeTakeFirstOrThrow()).last_event_id;

  beforeAll(async () => {
    testDb = await createTestDatabase(baseUrl!);
    api = await createTestApi({ databaseUrl: testDb.url });
    const ws = await createTestWorkspace(api, P.partitionId, 'ann', ['ben', 'cat']);
    ({ general, owner: ann } = ws);
    [ben, cat] = ws.members as [TestUser, TestUser];
    dm = (await ann.caller.dm.open({ ...P, userIds: [ben.id] })).id;
    secret = (await cat.caller.room.create({ ...P, name: 'secret', visibility: 'private' })).id;
  });
  afterAll(async () => {
    await api?.close();
    await testDb?.drop();
  });

  test('defaults: every message in a DM, mentions in a room; only rooms you are in', async () => {
    const levels = await ann.caller.notify.list(P);
    expect(levels.sort((a, b) => (a.roomId === dm ? -1 : b.roomId === dm ? 1 : 0))).toEqual([
      { roomId: dm, level: 'all', explicit: false },
      { roomId: general, level: 'mentions', explicit: false },
    ]);
  });

  test('a level set on one device reaches the same person’s streams, and no one else’s', async () => {
    const start = await lastEventId();
    const mine = takeEvents<ParleyEvent>(ann.caller.event.onEvent({ ...P, lastEventId: start }), 2);
    const bens = takeEvents<ParleyEvent>(ben.caller.event.onEvent({ ...P, lastEventId: start }), 1);
    const changed = await ann.caller.notify.set({ ...P, roomId: general, level: 'mute', opId: newClientId() });
    expect(changed).toEqual({ roomId: general, userId: ann.id, level: 'mute' });
    // A marker everyone in #general sees, after the change.
    await ann.caller.message.send({ ...P, roomId: general, clientId: newClientId(), body: 'marker' });
    expect((await mine).map((e) => e.data.type)).toEqual(['notify.changed', 'message.created']);
    expect((await mine)[0]!.data.data).toEqual({ roomId: general, userId: ann.id, level: 'mute' });
    expect((await bens).map((e) => e.data.type)).toEqual(['message.created']);
    expect(await ann.caller.notify.list(P)).toContainEqual({ roomId: general, level: 'mute', explicit: true });
    expect(await ben.caller.notify.list(P)).toContainEqual({ roomId: general, level: 'mentions', explicit: false });
  });

  test('the same opId twice changes once; the level it already has logs nothing', async () => {
    const opId = newClientId();
    const start = await lastEventId();
    await ben.caller.notify.set({ ...P, roomId: dm, level: 'mentions', opId });
    await ben.caller.notify.set({ ...P, roomId: dm, level: 'mentions', opId });
    await ben.caller.notify.set({ ...P, roomId: dm, level: 'mentions', opId: newClientId() });
    expect((await lastEventId()) - start).toBe(1);
    // Choosing the default explicitly is remembered but is no change to announce.
    await ben.caller.notify.set({ ...P, roomId: general, level: 'mentions', opId: newClientId() });
    expect((await lastEventId()) - start).toBe(1);
    expect(await ben.caller.notify.list(P)).toContainEqual({ roomId: general, level: 'mentions', explicit: true });
  });

  test('refused: a room you are not in, a level that does not exist, an opId that is not a UUIDv7', async () => {
    const notIn = await trpcError(ann.caller.notify.set({ ...P, roomId: secret, level: 'all', opId: newClientId() }));
    expect(notIn.code).toBe('NOT_FOUND');
    const badLevel = await trpcError(ann.caller.notify.set({ ...P, roomId: general, level: 'loud' as 'all', opId: newClientId() }));
    expect(badLevel.code).toBe('BAD_REQUEST');
    expect(badLevel.message).toContain("level is 'all', 'mentions' or 'mute'.");
    const badOp = await trpcError(ann.caller.notify.set({ ...P, roomId: general, level: 'all', opId: 'x' }));
    expect(badOp.code).toBe('BAD_REQUEST');
    const rows = await api.deps.db.selectFrom('room_notify_pgnotify').select('room_id').where('user_id', '=', ann.id).execute();
    expect(rows.map((r) => r.room_id)).toEqual([general]);
  });

  test('someone outside the workspace cannot list or set', async () => {
    const eve = await api.signUp('eve');
    expect((await trpcError(eve.caller.notify.list(P))).code).toBe('NOT_FOUND');
    expect((await trpcError(eve.caller.notify.set({ ...P, roomId: general, level: 'all', opId: newClientId() }))).code).toBe('NOT_FOUND');
  });
});
