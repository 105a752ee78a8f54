import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, postgresForTests, type TestDatabase } from '@parley/db/test-services';
import { createTestApi, createTestWorkspace, type TestApi, type TestUser } from '../../testing.ts';
import { newClientId, takeEvents, trpcError } from '../../test-util.ts';
import type { ParleyEvent } from '../event/event.types.ts';

const baseUrl = await postgresForTests();

describe.skipIf(!baseUrl)('mentions on PostgreSQL', () => {
  let testDb: TestDatabase;
  let api: TestApi;
  let ann: TestUser;
  let ben: TestUser;
  let cat: TestUser;
  let dan: TestUser;
  /** ann (room admin), ben, cat: three people, over the test's @room limit of 2. */
  let big: string;
  /** ann and ben only. */
  let small: string;
  const P = { partitionId: 'pgment' };
  const send = (who: TestUser, roomId: string, body: string, clientId = newClientId()) => who.caller.message.send({ ...P, roomId, clientId, body });
  const stored = async (roomId: string) =>
    (await api.deps.db.selectFrom('messages_pgment').select(['body', 'mentions']).where('room_id', '=', roomId).orderBy('event_id').execute()).map((r) => [
      r.body,
      r.mentions,
    ]);

  beforeAll(async () => {
    testDb = await createTestDatabase(baseUrl!);
    api = await createTestApi({ databaseUrl: testDb.url, config: { roomMentionMaxMembers: 2 } });
    const ws = await createTestWorkspace(api, P.partitionId, 'ann', ['ben', 'cat', 'dan']);
    ann = ws.owner;
    [ben, cat, dan] = ws.members as [TestUser, TestUser, TestUser];
    big = (await ben.caller.room.create({ ...P, name: 'big' })).id;
    await ann.caller.room.join({ ...P, roomId: big });
    await cat.caller.room.join({ ...P, roomId: big });
    small = (await ben.caller.room.create({ ...P, name: 'small', visibility: 'private' })).id;
    await ben.caller.room.addMember({ ...P, roomId: small, userId: ann.id });
  });
  afterAll(async () => {
    await api?.close();
    await testDb?.drop();
  });

  test('mentions are stored with the message and come back in the answer, the list and the event', async () => {
    const start = (await api.deps.db.selectFrom('partitions').select('last_event_id').where('id', '=', P.partitionId).executeTakeFirstOrThrow()).last_event_id;
    const events = takeEvents<ParleyEvent>(cat.caller.event.onEvent({ ...P, lastEventId: start }), 1);
    const sent = await send(ann, big, `hi <@${cat.id}> and <@${ben.id}>, also <@${cat.id}> but not \`<@${dan.id}>\``);
    expect(sent.mentions).toEqual([cat.id, ben.id]);
    const [event] = await events;
    expect(event!.data.type === 'message.created' && event!.data.data.mentions).toEqual([cat.id, ben.id]);
    const listed = await cat.caller.message.list({ ...P, roomId: big });
    expect(listed.messages.at(-1)).toMatchObject({ id: sent.id, mentions: [cat.id, ben.id] });
    const plain = await send(ann, big, 'no one');
    expect(plain.mentions).toEqual([]);
    expect((await stored(big)).slice(-2)).toEqual([
      [sent.body, [cat.id, ben.id]],
      ['no one', []],
    ]);
  });

  test('a mention of someone not in the room is refused by name and nothing is stored', async () => {
    const before = await stored(big);
    const refused = await trpcError(send(ann, big, `ping <@${dan.id}> and <@${cat.id}>`));
    expect(refused.code).toBe('BAD_REQUEST');
    expect(refused.message).toBe('dan is not a member of this room.');
    const unknown = await trpcError(send(ann, big, '<@nobody-at-all>'));
    expect(unknown.message).toBe('Someone you mentioned is not a member of this room.');
    expect(await stored(big)).toEqual(before);
  });

  test('@room: room admins anywhere, members only in rooms up to the configured size', async () => {
    const before = await stored(big);
    const refused = await trpcError(send(cat, big, 'hey @room'));
    expect(refused.code).toBe('BAD_REQUEST');
    expect(refused.message).toBe('Only the room’s admins can use @room in a room of more than 2 people.');
    expect(await stored(big)).toEqual(before);
    // ben created the room (its admin); ann owns the workspace (moderates every room).
    expect((await send(ben, big, '@room standup')).mentions).toEqual(['room']);
    expect((await send(ann, big, 'please read, @room')).mentions).toEqual(['room']);
    // A room of two: anyone may.
    expect((await send(ann, small, '@room hi')).mentions).toEqual(['room']);
  });

  test('a retried send whose mentioned person has since left gets its first answer', async () => {
    const tmp = (await ann.caller.room.create({ ...P, name: 'tmp' })).id;
    await dan.caller.room.join({ ...P, roomId: tmp });
    const clientId = newClientId();
    const first = await send(ann, tmp, `bye <@${dan.id}>`, clientId);
    await dan.caller.room.leave({ ...P, roomId: tmp });
    const again = await send(ann, tmp, `bye <@${dan.id}>`, clientId);
    expect(again).toMatchObject({ id: first.id, mentions: [dan.id] });
    expect(await stored(tmp)).toHaveLength(1);
  });

  test('an edit may add mentions of members only, and the message keeps the mentions it was sent with', async () => {
    const sent = await send(ben, big, `for <@${cat.id}>`);
    const refused = await trpcError(ben.caller.message.edit({ ...P, messageId: sent.id, body: `for <@${dan.id}>`, opId: newClientId() }));
    expect(refused.code).toBe('BAD_REQUEST');
    expect(refused.message).toBe('dan is not a member of this room.');
    await ben.caller.message.edit({ ...P, messageId: sent.id, body: `for <@${cat.id}> and <@${ann.id}>`, opId: newClientId() });
    const row = await api.deps.db.selectFrom('messages_pgment').select(['body', 'mentions']).where('id', '=', sent.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ body: `for <@${cat.id}> and <@${ann.id}>`, mentions: [cat.id] });
  });

  test('a send by someone outside the room is refused as before, mentions or not', async () => {
    const refused = await trpcError(send(dan, small, `<@${ann.id}>`));
    expect(refused.code).toBe('NOT_FOUND');
  });
});
