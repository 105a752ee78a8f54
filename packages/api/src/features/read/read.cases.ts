import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { uuidv7 } from 'uuidv7';
import { READ_PAST_END } from '@parley/rules';
import { createTestWorkspace, type TestApi, type TestUser } from '../../testing.ts';
import { newClientId, trpcError, untrack } from '../../test-util.ts';
import type { ParleyEvent } from '../event/event.types.ts';

/**
 * Read positions and receipts as people notice them: unread and mention counts that are server
 * state, marks that only move forward, refusals, receipts only where they apply (and never for
 * or to someone who turned them off), and `read.updated` reaching the right streams only. One
 * table for both databases: `read.router.test.ts` (PGlite), `read.pg.test.ts` (PostgreSQL).
 */
export function describeRead(name: string, open: () => Promise<{ api: TestApi; close: () => Promise<void> }>) {
  describe(name, () => {
    const PID = 'reads';
    const P = { partitionId: PID };
    let api: TestApi;
    let close: () => Promise<void>;
    let ann: TestUser;
    let ben: TestUser;
    let cyd: TestUser;
    let stranger: TestUser;
    /** 21 members: too big for receipts. */
    let general: string;

    const say = async (user: TestUser, roomId: string, body = 'hello') => user.caller.message.send({ ...P, roomId, clientId: newClientId(), body });
    const mark = (user: TestUser, roomId: string, eventId: number, opId = uuidv7()) => user.caller.read.mark({ ...P, roomId, eventId, opId });
    const stateOf = async (user: TestUser, roomId: string) => (await user.caller.read.summary(P)).find((r) => r.roomId === roomId);
    const head = async () => (await ann.caller.event.head(P)).lastEventId;
    const positionRows = async () =>
      Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(`read_positions_${PID}`)}`.execute(api.deps.db)).rows[0]!.n);
    /** A private room of ann's with these people in it. */
    const roomWith = async (...people: TestUser[]) => {
      const room = await ann.caller.room.create({ ...P, name: `r${uuidv7().slice(-10)}`, visibility: 'private' });
      for (const p of people) await ann.caller.room.addMember({ ...P, roomId: room.id, userId: p.id });
      return room.id;
    };
    const setMentions = (messageId: string, mentions: string[]) =>
      sql`update ${sql.table(`messages_${PID}`)} set mentions = ${mentions}::text[] where id = ${messageId}`.execute(api.deps.db);

    /** What `user`'s stream delivers after `from`, up to a sentinel message ann sends in general now. */
    async function seenBy(user: TestUser, from: number): Promise<ParleyEvent[]> {
      const sentinel = `sentinel ${uuidv7()}`;
      await say(ann, general, sentinel);
      const stream = await (user.caller.event.onEvent({ ...P, lastEventId: from }) as Promise<AsyncIterable<unknown>>);
      const it = stream[Symbol.asyncIterator]();
      const out: ParleyEvent[] = [];
      const deadline = setTimeout(() => void it.return?.(), 10_000);
      try {
        for (;;) {
          const r = await it.next();
          if (r.done) throw new Error('the stream ended before the sentinel');
          const event = untrack<ParleyEvent>(r.value).data;
          if (event.type === 'message.created' && event.data.body === sentinel) return out;
          out.push(event);
        }
      } finally {
        clearTimeout(deadline);
        void it.return?.();
      }
    }
    const readsIn = (events: ParleyEvent[]) =>
      events.flatMap((e) => (e.type === 'read.updated' ? [{ roomId: e.data.roomId, userId: e.data.userId, eventId: e.data.eventId }] : []));

    beforeAll(async () => {
      ({ api, close } = await open());
      const extra = Array.from({ length: 18 }, (_, i) => `rd_m${i}`);
      const ws = await createTestWorkspace(api, PID, 'rd_ann', ['rd_ben', 'rd_cyd', ...extra]);
      ann = ws.owner;
      general = ws.general;
      [ben, cyd] = ws.members as [TestUser, TestUser];
      stranger = await api.signUp('rd_stranger');
      await stranger.caller.partition.create({ id: 'rd_other', name: 'Elsewhere' });
    }, 180_000);
    afterAll(() => close());

    describe('unread and mention counts', () => {
      test('messages by others are unread for everyone else, never for their author, and the counts are the server’s (a new session sees them)', async () => {
        const room = await roomWith(ben, cyd);
        await say(ann, room, 'one');
        await say(ann, room, 'two');
        await say(ben, room, 'three');
        expect(await stateOf(ben, room)).toMatchObject({ unread: 2, mentions: 0 });
        expect(await stateOf(cyd, room)).toMatchObject({ unread: 3, mentions: 0 });
        expect(await stateOf(ann, room)).toMatchObject({ unread: 1, mentions: 0 });
        const { token } = await api.caller().auth.login({ username: 'rd_ben', password: 'correct horse battery', session: 'token' });
        const otherDevice = api.caller({ token: token!, tokenSource: 'bearer' });
        expect((await otherDevice.read.summary(P)).find((r) => r.roomId === room)).toMatchObject({ unread: 2 });
      });

      test('mentions of the reader, and @room, count separately', async () => {
        const room = await roomWith(ben, cyd);
        const forBen = await say(ann, room, 'ben, look');
        const forAll = await say(ann, room, 'everyone');
        const forCyd = await say(ann, room, 'cyd, look');
        await setMentions(forBen.id, [ben.id]);
        await setMentions(forAll.id, ['room']);
        await setMentions(forCyd.id, [cyd.id]);
        expect(await stateOf(ben, room)).toMatchObject({ unread: 3, mentions: 2 });
        expect(await stateOf(cyd, room)).toMatchObject({ unread: 3, mentions: 2 });
        await mark(ben, room, forAll.eventId);
        expect(await stateOf(ben, room)).toMatchObject({ unread: 1, mentions: 0 });
      });

      test('a message deleted for everyone, or hidden for the reader, is not unread', async () => {
        const room = await roomWith(ben);
        const gone = await say(ann, room, 'oops');
        const hidden = await say(ann, room, 'not for ben');
        await say(ann, room, 'kept');
        await ann.caller.message.delete({ ...P, messageId: gone.id, scope: 'everyone', opId: uuidv7() });
        await ben.caller.message.delete({ ...P, messageId: hidden.id, scope: 'me', opId: uuidv7() });
        expect(await stateOf(ben, room)).toMatchObject({ unread: 1 });
      });

      test('joining a room with history starts read where it was; a direct message starts with everything in it unread', async () => {
        const room = (await ann.caller.room.create({ ...P, name: `pub${uuidv7().slice(-8)}` })).id;
        await say(ann, room, 'old 1');
        const last = await say(ann, room, 'old 2');
        await cyd.caller.room.join({ ...P, roomId: room });
        expect(await stateOf(cyd, room)).toEqual({ roomId: room, lastReadEventId: last.eventId, lastMessageEventId: last.eventId, unread: 0, mentions: 0 });
        await say(ann, room, 'new');
        expect(await stateOf(cyd, room)).toMatchObject({ unread: 1 });

        const dm = (await ann.caller.dm.open({ ...P, userIds: [cyd.id] })).id;
        const hi = await say(ann, dm, 'hi cyd');
        expect(await stateOf(cyd, dm)).toEqual({ roomId: dm, lastReadEventId: 0, lastMessageEventId: hi.eventId, unread: 1, mentions: 0 });
      });

      test('the summary lists every room and direct message of the caller, and nothing else', async () => {
        const rooms = (await cyd.caller.read.summary(P)).map((r) => r.roomId);
        const secret = await roomWith(ben);
        expect(rooms).toContain(general);
        expect((await cyd.caller.read.summary(P)).map((r) => r.roomId)).not.toContain(secret);
        expect((await trpcError(stranger.caller.read.summary(P))).code).toBe('NOT_FOUND');
      });
    });

    describe('read.mark', () => {
      test('moves the position forward only: an older or repeated mark changes nothing and appends no event', async () => {
        const room = await roomWith(ben);
        const m1 = await say(ann, room, 'a');
        const m2 = await say(ann, room, 'b');
        await say(ann, room, 'c');
        expect(await mark(ben, room, m2.eventId)).toEqual({ roomId: room, eventId: m2.eventId, moved: true });
        expect(await stateOf(ben, room)).toMatchObject({ lastReadEventId: m2.eventId, unread: 1 });
        const before = await head();
        expect(await mark(ben, room, m1.eventId)).toEqual({ roomId: room, eventId: m2.eventId, moved: false });
        expect(await mark(ben, room, m2.eventId)).toEqual({ roomId: room, eventId: m2.eventId, moved: false });
        expect(await head()).toBe(before);
        expect(await stateOf(ben, room)).toMatchObject({ lastReadEventId: m2.eventId, unread: 1 });
      });

      test('past the room’s last message: BAD_REQUEST with a clear message, nothing stored', async () => {
        const room = await roomWith(ben);
        const empty = await roomWith(ben);
        const last = await say(ann, room, 'only');
        await say(ann, general, 'a later event in another room');
        const [rows, before] = [await positionRows(), await head()];
        for (const [roomId, eventId] of [
          [room, last.eventId + 1],
          [room, before + 1000],
          [empty, 1],
        ] as const) {
          const error = await trpcError(mark(ben, roomId, eventId));
          expect(error.code).toBe('BAD_REQUEST');
          expect(error.message).toBe(READ_PAST_END);
        }
        expect(await positionRows()).toBe(rows);
        expect(await head()).toBe(before);
        expect(await stateOf(ben, room)).toMatchObject({ lastReadEventId: 0, unread: 1 });
      });

      test('someone not in the room cannot mark it: NOT_FOUND for a private room, FORBIDDEN for a public one not joined, NOT_FOUND in another workspace', async () => {
        const secret = await roomWith(ben);
        const m = await say(ann, secret, 'secret');
        expect((await trpcError(mark(cyd, secret, m.eventId))).code).toBe('NOT_FOUND');
        const pub = (await ann.caller.room.create({ ...P, name: `open${uuidv7().slice(-8)}` })).id;
        const p = await say(ann, pub, 'public');
        expect((await trpcError(mark(cyd, pub, p.eventId))).code).toBe('FORBIDDEN');
        expect((await trpcError(stranger.caller.read.mark({ ...P, roomId: secret, eventId: m.eventId, opId: uuidv7() }))).code).toBe('NOT_FOUND');
        expect((await trpcError(ann.caller.read.mark({ partitionId: 'rd_other', roomId: secret, eventId: m.eventId, opId: uuidv7() }))).code).toBe('NOT_FOUND');
        expect(await stateOf(ben, secret)).toMatchObject({ lastReadEventId: 0 });
      });

      test('bad input is refused with the field named', async () => {
        const room = await roomWith(ben);
        for (const input of [
          { roomId: room, eventId: 0, opId: uuidv7() },
          { roomId: room, eventId: 1.5, opId: uuidv7() },
          { roomId: room, eventId: '7', opId: uuidv7() },
          { roomId: room, eventId: 1, opId: 'not-an-op-id' },
          { roomId: 'x'.repeat(65), eventId: 1, opId: uuidv7() },
        ]) {
          const error = await trpcError(ben.caller.read.mark({ ...P, ...input } as never));
          expect(error.code).toBe('BAD_REQUEST');
        }
      });

      test('the same opId again gets the first answer and appends nothing', async () => {
        const room = await roomWith(ben);
        const m1 = await say(ann, room, 'a');
        const opId = uuidv7();
        const first = await mark(ben, room, m1.eventId, opId);
        const after = await head();
        await say(ann, room, 'b');
        const again = await mark(ben, room, m1.eventId, opId);
        expect(again).toEqual(first);
        expect(await head()).toBe(after + 1);
        const error = await trpcError(ben.caller.read.markAll({ ...P, opId }));
        expect(error.code).toBe('CONFLICT');
      });
    });

    describe('read.markAll', () => {
      test('reads every room of the caller to its last message, one event per room that moved; again, nothing moves', async () => {
        const a = await roomWith(cyd);
        const b = await roomWith(cyd);
        await say(ann, a, 'a1');
        const lastA = await say(ann, a, 'a2');
        const lastB = await say(ann, b, 'b1');
        const before = await head();
        const { rooms } = await cyd.caller.read.markAll({ ...P, opId: uuidv7() });
        expect(rooms).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ roomId: a, eventId: lastA.eventId }),
            expect.objectContaining({ roomId: b, eventId: lastB.eventId }),
          ]),
        );
        expect(await head()).toBe(before + rooms.length);
        for (const state of await cyd.caller.read.summary(P)) expect(state).toMatchObject({ unread: 0, mentions: 0 });
        const again = await cyd.caller.read.markAll({ ...P, opId: uuidv7() });
        expect(again.rooms).toEqual([]);
        expect(await head()).toBe(before + rooms.length);
      });
    });

    describe('receipts', () => {
      test('in a direct message and a small room, the author sees who read how far; in a room of more than 20, nobody', async () => {
        const dm = (await ann.caller.dm.open({ ...P, userIds: [ben.id] })).id;
        const m = await say(ann, dm, 'read me');
        expect(await ann.caller.read.receipts({ ...P, roomId: dm })).toEqual({ roomId: dm, status: 'shown', readers: [] });
        await mark(ben, dm, m.eventId);
        const dmReceipts = await ann.caller.read.receipts({ ...P, roomId: dm });
        expect(dmReceipts.readers).toEqual([{ userId: ben.id, displayName: 'rd_ben', eventId: m.eventId, at: expect.any(String) }]);

        const small = await roomWith(ben, cyd);
        const s1 = await say(ann, small, 's1');
        const s2 = await say(ann, small, 's2');
        await mark(ben, small, s2.eventId);
        await mark(cyd, small, s1.eventId);
        const readers = (await ann.caller.read.receipts({ ...P, roomId: small })).readers;
        expect(readers.map((r) => [r.displayName, r.eventId])).toEqual([
          ['rd_ben', s2.eventId],
          ['rd_cyd', s1.eventId],
        ]);

        const g = await say(ann, general, 'big room');
        await mark(ben, general, g.eventId);
        expect(await ann.caller.read.receipts({ ...P, roomId: general })).toEqual({ roomId: general, status: 'too-big', readers: [] });
        expect((await trpcError(cyd.caller.read.receipts({ ...P, roomId: dm }))).code).toBe('NOT_FOUND');
      });

      test('receipts off: nobody sees how far that person read, and they see nobody’s; on again, both come back', async () => {
        const room = await roomWith(ben, cyd);
        const m = await say(ann, room, 'x');
        await mark(ben, room, m.eventId);
        await mark(cyd, room, m.eventId);
        expect(await ben.caller.user.receipts()).toEqual({ enabled: true });
        expect(await ben.caller.user.setReceipts({ enabled: false })).toEqual({ enabled: false });
        expect(await ben.caller.user.receipts()).toEqual({ enabled: false });
        expect((await ann.caller.read.receipts({ ...P, roomId: room })).readers.map((r) => r.displayName)).toEqual(['rd_cyd']);
        expect(await ben.caller.read.receipts({ ...P, roomId: room })).toEqual({ roomId: room, status: 'off', readers: [] });
        await ben.caller.user.setReceipts({ enabled: true });
        expect((await ann.caller.read.receipts({ ...P, roomId: room })).readers.map((r) => r.displayName)).toEqual(['rd_ben', 'rd_cyd']);
        expect((await ben.caller.read.receipts({ ...P, roomId: room })).status).toBe('shown');
      });
    });

    describe('read.updated reaches the right streams only', () => {
      test('in a direct message: the reader’s own streams and the other member; nobody outside it', async () => {
        const dm = (await ann.caller.dm.open({ ...P, userIds: [ben.id] })).id;
        const m = await say(ann, dm, 'dm');
        const from = await head();
        await mark(ben, dm, m.eventId);
        const read = [{ roomId: dm, userId: ben.id, eventId: m.eventId }];
        expect(readsIn(await seenBy(ann, from))).toEqual(read);
        expect(readsIn(await seenBy(ben, from))).toEqual(read);
        expect(readsIn(await seenBy(cyd, from))).toEqual([]);
      });

      test('in a room of more than 20: the reader’s own streams only', async () => {
        const m = await say(ann, general, 'hi all');
        const from = await head();
        await mark(ben, general, m.eventId);
        expect(readsIn(await seenBy(ben, from))).toEqual([{ roomId: general, userId: ben.id, eventId: m.eventId }]);
        expect(readsIn(await seenBy(ann, from))).toEqual([]);
        expect(readsIn(await seenBy(cyd, from))).toEqual([]);
      });

      test('never from someone with receipts off, nor to them', async () => {
        const room = await roomWith(ben, cyd);
        const m1 = await say(ann, room, '1');
        const m2 = await say(ann, room, '2');
        await ben.caller.user.setReceipts({ enabled: false });
        try {
          const from = await head();
          await mark(ben, room, m1.eventId);
          await mark(cyd, room, m2.eventId);
          expect(readsIn(await seenBy(ann, from))).toEqual([{ roomId: room, userId: cyd.id, eventId: m2.eventId }]);
          // Their own devices still hear of their own position (unread counts stay in step).
          expect(readsIn(await seenBy(ben, from))).toEqual([{ roomId: room, userId: ben.id, eventId: m1.eventId }]);
        } finally {
          await ben.caller.user.setReceipts({ enabled: true });
        }
        const m3 = await say(ann, room, '3');
        await ann.caller.user.setReceipts({ enabled: false });
        try {
          const from = await head();
          await mark(ben, room, m3.eventId);
          expect(readsIn(await seenBy(ann, from))).toEqual([]);
          expect(readsIn(await seenBy(cyd, from))).toEqual([{ roomId: room, userId: ben.id, eventId: m3.eventId }]);
        } finally {
          await ann.caller.user.setReceipts({ enabled: true });
        }
      });

      test('a second device of the reader hears of the mark live', async () => {
        const room = await roomWith(ben);
        const m = await say(ann, room, 'live');
        const { token } = await api.caller().auth.login({ username: 'rd_ben', password: 'correct horse battery', session: 'token' });
        const device = api.caller({ token: token!, tokenSource: 'bearer' });
        const stream = await (device.event.onEvent({ ...P }) as Promise<AsyncIterable<unknown>>);
        const it = stream[Symbol.asyncIterator]();
        try {
          const next = it.next();
          await new Promise((r) => setTimeout(r, 100));
          await mark(ben, room, m.eventId);
          const event = untrack<ParleyEvent>((await next).value).data;
          expect(event).toMatchObject({
            type: 'read.updated',
            roomId: room,
            actorId: ben.id,
            data: { roomId: room, userId: ben.id, eventId: m.eventId, receipts: true },
          });
        } finally {
          void it.return?.();
        }
      });
    });
  });
}
