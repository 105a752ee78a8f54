import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { uuidv7 } from 'uuidv7';
import { REFUSAL, SEARCH_QUERY_MAX_CHARS } from '@parley/rules';
import { createTestWorkspace, type TestApi, type TestUser } from '../../testing.ts';
import { newClientId, trpcError, wireError } from '../../test-util.ts';
import type { SearchHitDto } from './search.types.ts';

/**
 * `search.messages` as a user sees it: who finds what (the access matrix), what is never found
 * (deleted, hidden, the old text of an edit), filters, pages, snippets and bad input. One table
 * for both databases: `search.router.test.ts` runs it on PGlite, `search.pg.test.ts` on
 * PostgreSQL.
 */
export function describeSearch(name: string, open: () => Promise<{ api: TestApi; close: () => Promise<void> }>) {
  describe(name, () => {
    const PID = 'srch';
    const P = { partitionId: PID };
    let api: TestApi;
    let close: () => Promise<void>;
    let owner: TestUser;
    let ada: TestUser;
    let bob: TestUser;
    let cyd: TestUser;
    let vic: TestUser;
    let stranger: TestUser;
    let general: string;
    let secret: string;
    let random: string;
    let dm: string;

    const say = async (user: TestUser, roomId: string, body: string) => (await user.caller.message.send({ ...P, roomId, clientId: newClientId(), body })).id;
    const search = (user: TestUser, query: string, extra: Record<string, unknown> = {}) => user.caller.search.messages({ ...P, query, ...extra });
    const bodiesOf = async (user: TestUser, query: string, extra: Record<string, unknown> = {}) =>
      (await search(user, query, extra)).hits.map((h) => h.snippet.text);
    const marked = (hit: SearchHitDto) => hit.snippet.highlights.map(([s, e]) => hit.snippet.text.slice(s, e));

    beforeAll(async () => {
      ({ api, close } = await open());
      const ws = await createTestWorkspace(api, PID, 'srch_owner', ['srch_ada', 'srch_bob', 'srch_cyd', 'srch_vic']);
      owner = ws.owner;
      general = ws.general;
      [ada, bob, cyd, vic] = ws.members as [TestUser, TestUser, TestUser, TestUser];
      await owner.caller.partition.setRole({ ...P, userId: vic.id, role: 'viewer' });
      secret = (await bob.caller.room.create({ ...P, name: 'secret', visibility: 'private' })).id;
      await bob.caller.room.addMember({ ...P, roomId: secret, userId: cyd.id });
      random = (await bob.caller.room.create({ ...P, name: 'random' })).id;
      dm = (await bob.caller.dm.open({ ...P, userIds: [cyd.id] })).id;
      stranger = await api.signUp('srch_stranger');
      await stranger.caller.partition.create({ id: 'srch_other', name: 'Elsewhere' });
      const elsewhere = (await stranger.caller.room.list({ partitionId: 'srch_other' }))[0]!.id;
      await stranger.caller.message.send({ partitionId: 'srch_other', roomId: elsewhere, clientId: newClientId(), body: 'zephyr elsewhere' });

      await say(ada, general, 'deploy the Zephyr build on friday');
      await say(bob, general, 'zephyr is ready, ship it');
      await say(bob, secret, 'zephyr secret plan');
      await say(bob, dm, 'zephyr between bob and cyd');
      await say(bob, random, 'zephyr in random');
    }, 120_000);
    afterAll(() => close());

    describe('who finds what', () => {
      test('a member finds the messages of the rooms they are in, newest first, with the matches highlighted', async () => {
        const page = await search(ada, 'ZEPHYR');
        expect(page.hits.map((h) => h.snippet.text)).toEqual(['zephyr is ready, ship it', 'deploy the Zephyr build on friday']);
        expect(page.terms).toEqual(['zephyr']);
        expect(page.nextCursor).toBeNull();
        const [first, second] = page.hits as [SearchHitDto, SearchHitDto];
        expect(first).toMatchObject({ partitionId: PID, roomId: general, roomName: 'general', roomKind: 'public', authorId: bob.id, authorName: 'srch_bob' });
        expect(first.eventId).toBeGreaterThan(second.eventId);
        expect(marked(first)).toEqual(['zephyr']);
        expect(marked(second)).toEqual(['Zephyr']);
        expect(Number.isNaN(Date.parse(first.createdAt))).toBe(false);
      });

      test('the members of a private room and of a direct message find theirs; nobody else does', async () => {
        expect(await bodiesOf(cyd, 'zephyr')).toEqual([
          'zephyr between bob and cyd',
          'zephyr secret plan',
          'zephyr is ready, ship it',
          'deploy the Zephyr build on friday',
        ]);
        const dmHit = (await search(bob, 'between')).hits[0]!;
        expect(dmHit).toMatchObject({ roomId: dm, roomKind: 'dm', roomName: '' });
        // Ada is in neither; the owner moderates private rooms but reads them only as a member, so does not find them either.
        for (const user of [ada, owner, vic]) {
          expect(await bodiesOf(user, 'secret')).toEqual([]);
          expect(await bodiesOf(user, 'between')).toEqual([]);
        }
      });

      test('a public room is searched once joined, not before', async () => {
        expect(await bodiesOf(ada, 'random')).toEqual([]);
        await ada.caller.room.join({ ...P, roomId: random });
        expect(await bodiesOf(ada, 'random')).toEqual(['zephyr in random']);
        await ada.caller.room.leave({ ...P, roomId: random });
        expect(await bodiesOf(ada, 'random')).toEqual([]);
      });

      test('removed from a room: nothing of it any more, old messages included', async () => {
        const vault = (await bob.caller.room.create({ ...P, name: 'vault', visibility: 'private' })).id;
        await bob.caller.room.addMember({ ...P, roomId: vault, userId: ada.id });
        await say(bob, vault, 'the quasar key');
        expect(await bodiesOf(ada, 'quasar')).toEqual(['the quasar key']);
        await bob.caller.room.removeMember({ ...P, roomId: vault, userId: ada.id });
        expect(await bodiesOf(ada, 'quasar')).toEqual([]);
        expect(await bodiesOf(bob, 'quasar')).toEqual(['the quasar key']);
      });

      test('another workspace: its messages never show here, and its id is NOT_FOUND for a non-member', async () => {
        expect(await bodiesOf(ada, 'elsewhere')).toEqual([]);
        const refused = await trpcError(ada.caller.search.messages({ partitionId: 'srch_other', query: 'zephyr' }));
        expect(refused.code).toBe('NOT_FOUND');
        expect(refused.message).toBe('No such workspace, or you are not a member of it.');
        expect((await stranger.caller.search.messages({ partitionId: 'srch_other', query: 'zephyr' })).hits.map((h) => h.snippet.text)).toEqual([
          'zephyr elsewhere',
        ]);
      });

      test('removed from the workspace: search is refused', async () => {
        const leaver = await api.signUp('srch_leaver');
        await leaver.caller.partition.join({ inviteCode: (await owner.caller.partition.rotateInvite(P)).inviteCode });
        expect(await bodiesOf(leaver, 'zephyr')).toHaveLength(2);
        await owner.caller.partition.removeMember({ ...P, userId: leaver.id });
        expect((await trpcError(search(leaver, 'zephyr'))).code).toBe('NOT_FOUND');
      });

      test('a viewer searches too', async () => {
        expect(await bodiesOf(vic, 'ready')).toEqual(['zephyr is ready, ship it']);
      });

      test('a blocked author’s hits are marked, for the client to collapse', async () => {
        const marker = await api.signUp('srch_marker');
        await marker.caller.partition.join({ inviteCode: (await owner.caller.partition.rotateInvite(P)).inviteCode });
        await marker.caller.user.block({ userId: bob.id });
        const hits = (await search(marker, 'zephyr')).hits;
        expect(hits.map((h) => [h.authorId, h.authorBlocked ?? false])).toEqual([
          [bob.id, true],
          [ada.id, false],
        ]);
      });
    });

    describe('what is never found', () => {
      test('a message deleted for everyone: by nobody', async () => {
        const id = await say(ada, general, 'ephemeral nebula');
        expect(await bodiesOf(cyd, 'nebula')).toEqual(['ephemeral nebula']);
        await ada.caller.message.delete({ ...P, messageId: id, scope: 'everyone', opId: uuidv7() });
        expect(await bodiesOf(cyd, 'nebula')).toEqual([]);
        expect(await bodiesOf(ada, 'ephemeral')).toEqual([]);
      });

      test('a message deleted for me: not by me, still by the others', async () => {
        const id = await say(bob, general, 'hidden galaxy');
        await ada.caller.message.delete({ ...P, messageId: id, scope: 'me', opId: uuidv7() });
        expect(await bodiesOf(ada, 'galaxy')).toEqual([]);
        expect(await bodiesOf(cyd, 'galaxy')).toEqual(['hidden galaxy']);
      });

      test('an edited message: by its new text only', async () => {
        const id = await say(ada, general, 'first draft comet');
        await ada.caller.message.edit({ ...P, messageId: id, body: 'final version meteor', opId: uuidv7() });
        expect(await bodiesOf(cyd, 'comet')).toEqual([]);
        const hit = (await search(cyd, 'meteor')).hits[0]!;
        expect(hit.snippet.text).toBe('final version meteor');
        expect(hit.editedAt).not.toBeNull();
      });
    });

    describe('the query', () => {
      test('quotes make a phrase, - excludes a word, or gives either; every language is searched alike', async () => {
        expect(await bodiesOf(ada, '"zephyr build"')).toEqual(['deploy the Zephyr build on friday']);
        expect(await bodiesOf(ada, '"build zephyr"')).toEqual([]);
        expect(await bodiesOf(ada, 'zephyr -friday')).toEqual(['zephyr is ready, ship it']);
        expect(await bodiesOf(ada, 'ship or deploy')).toHaveLength(2);
        await say(cyd, general, 'Привет, мир! Café au lait? 你好世界');
        expect(await bodiesOf(ada, 'МИР')).toEqual(['Привет, мир! Café au lait? 你好世界']);
        expect(marked((await search(ada, 'café')).hits[0]!)).toEqual(['Café']);
      });

      test('words only, not parts of words: "deploy" does not find "deployment" (no stemming)', async () => {
        await say(cyd, general, 'the deployment went well');
        expect(await bodiesOf(ada, 'deploy')).toEqual(['deploy the Zephyr build on friday']);
      });

      test('a body that looks like markup is plain text in the snippet', async () => {
        await say(cyd, general, '<img src=x onerror=window.__pwned=1> pwnzor');
        const hit = (await search(ada, 'pwnzor')).hits[0]!;
        expect(hit.snippet.text).toBe('<img src=x onerror=window.__pwned=1> pwnzor');
        expect(marked(hit)).toEqual(['pwnzor']);
      });
    });

    describe('filters and pages', () => {
      test('by room, by author, by date', async () => {
        expect(await bodiesOf(cyd, 'zephyr', { roomId: secret })).toEqual(['zephyr secret plan']);
        expect(await bodiesOf(cyd, 'zephyr', { authorId: ada.id })).toEqual(['deploy the Zephyr build on friday']);
        const old = await say(ada, general, 'vintage pulsar');
        const recent = await say(ada, general, 'modern pulsar');
        await sql`update ${sql.table(`messages_${PID}`)} set created_at = '2020-06-15T12:00:00Z' where id = ${old}`.execute(api.deps.db);
        expect(await bodiesOf(ada, 'pulsar', { before: '2021-01-01T00:00:00Z' })).toEqual(['vintage pulsar']);
        expect(await bodiesOf(ada, 'pulsar', { after: '2021-01-01T00:00:00Z' })).toEqual(['modern pulsar']);
        expect(await bodiesOf(ada, 'pulsar', { after: '2020-06-15T12:00:00Z', before: '2020-06-15T12:00:01Z' })).toEqual(['vintage pulsar']);
        expect((await search(ada, 'pulsar', { after: '2020-06-15T12:00:00+02:00' })).hits.map((h) => h.messageId)).toEqual([recent, old]);
      });

      test('a room filter the caller may not read is refused as message.list refuses it', async () => {
        expect(wireError(await trpcError(search(ada, 'zephyr', { roomId: secret })))).toMatchObject({ code: -32004, message: REFUSAL.noSuchRoom });
        expect((await trpcError(search(ada, 'zephyr', { roomId: dm }))).code).toBe('NOT_FOUND');
        expect((await trpcError(search(ada, 'zephyr', { roomId: random }))).code).toBe('FORBIDDEN');
        expect((await trpcError(search(ada, 'zephyr', { roomId: 'no-such-room' }))).code).toBe('NOT_FOUND');
      });

      test('an author filter: someone who left still counts (their messages stay); someone of another workspace is NOT_FOUND', async () => {
        const gone = await api.signUp('srch_gone');
        await gone.caller.partition.join({ inviteCode: (await owner.caller.partition.rotateInvite(P)).inviteCode });
        await say(gone, general, 'parting words nova');
        await gone.caller.partition.leave(P);
        expect(await bodiesOf(ada, 'nova', { authorId: gone.id })).toEqual(['parting words nova']);
        expect(wireError(await trpcError(search(ada, 'zephyr', { authorId: stranger.id })))).toMatchObject({
          message: REFUSAL.notAMember,
          data: { code: 'NOT_FOUND' },
        });
      });

      test('pages: newest first, each hit once, nextCursor null on the last page', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 7; i++) ids.push(await say(bob, general, `quark number ${i}`));
        const seen: string[] = [];
        let cursor: number | undefined;
        const sizes: number[] = [];
        for (;;) {
          const page = await search(ada, 'quark', { limit: 3, ...(cursor ? { cursor } : {}) });
          sizes.push(page.hits.length);
          seen.push(...page.hits.map((h) => h.messageId));
          if (page.nextCursor === null) break;
          cursor = page.nextCursor;
        }
        expect(sizes).toEqual([3, 3, 1]);
        expect(seen).toEqual([...ids].reverse());
        // Within dates the pages go by the time of sending: the same hits, each once.
        const dated: string[] = [];
        cursor = undefined;
        do {
          const page = await search(ada, 'quark', { limit: 2, after: '2000-01-01T00:00:00Z', ...(cursor ? { cursor } : {}) });
          dated.push(...page.hits.map((h) => h.messageId));
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
        expect(dated).toEqual([...ids].reverse());
      });
    });

    describe('bad input: a clear refusal', () => {
      const refusal = async (p: Promise<unknown>) => {
        const shape = wireError(await trpcError(p));
        return { code: shape.data.code, message: shape.message };
      };

      test('an empty, blank or too long query, and one without words', async () => {
        expect(await refusal(search(ada, '   '))).toEqual({ code: 'BAD_REQUEST', message: `query: ${REFUSAL.searchEmpty}` });
        expect(await refusal(search(ada, 'x'.repeat(SEARCH_QUERY_MAX_CHARS + 1)))).toEqual({
          code: 'BAD_REQUEST',
          message: 'query: A search has at most 200 characters.',
        });
        // 200 characters after trimming is fine.
        expect((await search(ada, ` ${'x'.repeat(SEARCH_QUERY_MAX_CHARS)} `)).hits).toEqual([]);
        expect(await refusal(search(ada, '!!! ???'))).toEqual({ code: 'BAD_REQUEST', message: REFUSAL.searchNoWords });
        expect(await refusal(search(ada, '-zephyr'))).toEqual({ code: 'BAD_REQUEST', message: REFUSAL.searchOnlyExcluded });
        expect((await refusal(search(ada, 'a\u0000b'))).code).toBe('BAD_REQUEST');
      });

      test('dates, limits and cursors out of range', async () => {
        expect(await refusal(search(ada, 'zephyr', { after: '2026-02-01T00:00:00Z', before: '2026-01-01T00:00:00Z' }))).toEqual({
          code: 'BAD_REQUEST',
          message: REFUSAL.searchDateRange,
        });
        expect((await refusal(search(ada, 'zephyr', { after: 'yesterday' }))).message).toMatch(/^after: after is a date and time in ISO-8601/);
        expect((await refusal(search(ada, 'zephyr', { limit: 51 }))).code).toBe('BAD_REQUEST');
        expect((await refusal(search(ada, 'zephyr', { cursor: -1 }))).code).toBe('BAD_REQUEST');
      });
    });

    describe('jump to a hit: message.list around it, then forwards', () => {
      test('the history around a hit, older pages before it and newer ones after it, up to the present', async () => {
        const room = (await ada.caller.room.create({ ...P, name: 'history' })).id;
        const ids: string[] = [];
        for (let i = 0; i < 30; i++) ids.push(await say(ada, room, i === 10 ? 'the needle is here' : `hay ${i}`));
        const hit = (await search(ada, 'needle')).hits[0]!;
        expect(hit.messageId).toBe(ids[10]);
        const around = await ada.caller.message.list({ ...P, roomId: hit.roomId, around: hit.messageId, limit: 8 });
        expect(around.messages.map((m) => m.id)).toEqual(ids.slice(3, 15));
        expect(around.nextCursor).toBe(around.messages[0]!.eventId);
        expect(around.newerCursor).toBe(around.messages.at(-1)!.eventId);
        const newer = await ada.caller.message.list({ ...P, roomId: room, after: around.newerCursor!, limit: 10 });
        expect(newer.messages.map((m) => m.id)).toEqual(ids.slice(15, 25));
        const last = await ada.caller.message.list({ ...P, roomId: room, after: newer.newerCursor!, limit: 10 });
        expect(last.messages.map((m) => m.id)).toEqual(ids.slice(25));
        expect(last.newerCursor).toBeNull();
        expect((await ada.caller.message.list({ ...P, roomId: room })).newerCursor).toBeNull();
        const both = await trpcError(ada.caller.message.list({ ...P, roomId: room, after: 1, before: 5 }));
        expect(wireError(both).message).toBe('after: Give at most one of before, after and around.');
        // A hit in a room the caller cannot read cannot be jumped to either.
        expect((await trpcError(ada.caller.message.list({ ...P, roomId: secret, around: ids[0]! }))).code).toBe('NOT_FOUND');
      });
    });
  });
}
