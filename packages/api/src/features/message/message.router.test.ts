import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApi, createTestWorkspace, type TestApi, type TestUser } from '../../testing.ts';
import { newClientId, trpcError } from '../../test-util.ts';

let api: TestApi;
let ann: TestUser;
let ben: TestUser;
let general: string;
beforeAll(async () => {
  api = await createTestApi();
  const ws = await createTestWorkspace(api, 'chat', 'ann', ['ben']);
  [ann, ben, general] = [ws.owner, ws.members[0]!, ws.general];
});
afterAll(() => api.close());

const P = { partitionId: 'chat' };

describe('message', () => {
  test('send stores the trimmed body as text and gives it a position', async () => {
    const m = await ann.caller.message.send({ ...P, roomId: general, clientId: newClientId(), body: '  <b>hi</b> & bye  ' });
    expect(m).toMatchObject({ body: '<b>hi</b> & bye', authorName: 'ann', roomId: general, partitionId: 'chat' });
    expect(m.eventId).toBeGreaterThan(0);
    expect(new Date(m.createdAt).toISOString()).toBe(m.createdAt);
  });

  test('sending the same clientId twice returns the first message and stores one row', async () => {
    const clientId = newClientId();
    const first = await ann.caller.message.send({ ...P, roomId: general, clientId, body: 'once' });
    const before = await api.deps.db.selectFrom('partitions').select('last_event_id').where('id', '=', 'chat').executeTakeFirstOrThrow();
    const second = await ann.caller.message.send({ ...P, roomId: general, clientId, body: 'once' });
    expect(second).toEqual(first);
    const rows = await api.deps.db.selectFrom('messages_chat').selectAll().where('client_id', '=', clientId).execute();
    expect(rows).toHaveLength(1);
    const after = await api.deps.db.selectFrom('partitions').select('last_event_id').where('id', '=', 'chat').executeTakeFirstOrThrow();
    expect(after.last_event_id).toBe(before.last_event_id);
  });

  test("reusing someone else's clientId is CONFLICT", async () => {
    const clientId = newClientId();
    await ann.caller.message.send({ ...P, roomId: general, clientId, body: 'mine' });
    expect((await trpcError(ben.caller.message.send({ ...P, roomId: general, clientId, body: 'mine?' }))).code).toBe('CONFLICT');
  });

  test('bad input is BAD_REQUEST and stores nothing', async () => {
    const before = await api.deps.db
      .selectFrom('messages_chat')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    const cases = [
      { roomId: general, clientId: newClientId(), body: '   ' },
      { roomId: general, clientId: newClientId(), body: 'x'.repeat(4001) },
      { roomId: general, clientId: 'not-a-uuid', body: 'hi' },
      { roomId: general, clientId: '6ba7b810-9dad-11d1-80b4-00c04fd430c8', body: 'uuid v1' },
    ];
    for (const c of cases) expect((await trpcError(ann.caller.message.send({ ...P, ...c }))).code).toBe('BAD_REQUEST');
    await expect(ann.caller.message.send({ ...P, roomId: general, clientId: newClientId(), body: 'x'.repeat(4000) })).resolves.toBeTruthy();
    const after = await api.deps.db
      .selectFrom('messages_chat')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n) + 1);
  });

  test('a room the user has not joined: FORBIDDEN to send and to read', async () => {
    const room = await ann.caller.room.create({ ...P, name: 'private-ish' });
    expect((await trpcError(ben.caller.message.send({ ...P, roomId: room.id, clientId: newClientId(), body: 'hi' }))).code).toBe('FORBIDDEN');
    expect((await trpcError(ben.caller.message.list({ ...P, roomId: room.id }))).code).toBe('FORBIDDEN');
  });

  test('a room that does not exist: NOT_FOUND, and no event id is used', async () => {
    const before = await api.deps.db.selectFrom('partitions').select('last_event_id').where('id', '=', 'chat').executeTakeFirstOrThrow();
    const error = await trpcError(ann.caller.message.send({ ...P, roomId: newClientId(), clientId: newClientId(), body: 'hi' }));
    expect([error.code, error.message]).toEqual(['NOT_FOUND', 'No such room in this workspace.']);
    const after = await api.deps.db.selectFrom('partitions').select('last_event_id').where('id', '=', 'chat').executeTakeFirstOrThrow();
    expect(after.last_event_id).toBe(before.last_event_id);
  });

  test('without a session, sending and listing are UNAUTHORIZED', async () => {
    const anon = api.caller();
    expect((await trpcError(anon.message.send({ ...P, roomId: general, clientId: newClientId(), body: 'hi' }))).code).toBe('UNAUTHORIZED');
    expect((await trpcError(anon.message.list({ ...P, roomId: general }))).code).toBe('UNAUTHORIZED');
    expect((await trpcError(anon.event.onEvent(P))).code).toBe('UNAUTHORIZED');
  });

  test('list pages backwards with a cursor, oldest first within a page', async () => {
    const room = await ann.caller.room.create({ ...P, name: 'paging' });
    const sent = [];
    for (let i = 1; i <= 7; i++) sent.push(await ann.caller.message.send({ ...P, roomId: room.id, clientId: newClientId(), body: `m${i}` }));
    const p1 = await ann.caller.message.list({ ...P, roomId: room.id, limit: 3 });
    expect(p1.messages.map((m) => m.body)).toEqual(['m5', 'm6', 'm7']);
    const p2 = await ann.caller.message.list({ ...P, roomId: room.id, limit: 3, before: p1.nextCursor! });
    expect(p2.messages.map((m) => m.body)).toEqual(['m2', 'm3', 'm4']);
    const p3 = await ann.caller.message.list({ ...P, roomId: room.id, limit: 3, before: p2.nextCursor! });
    expect(p3.messages.map((m) => m.body)).toEqual(['m1']);
    expect(p3.nextCursor).toBeNull();
    expect((await trpcError(ann.caller.message.list({ ...P, roomId: room.id, limit: 101 }))).code).toBe('BAD_REQUEST');
  });
});
