import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMemoryRateLimiter } from '@parley/cluster';
import { PROFILE_REFUSAL } from '@parley/rules';
import type { ParleyEvent } from '../event/event.types.ts';
import { createTestWorkspace, type TestApi, type TestUser, type TestWorkspace } from '../../testing.ts';
import { newClientId, takeEvents, trpcError, wireError } from '../../test-util.ts';
import type { ApiConfigOverrides } from '../../context.ts';

type MakeApi = (opts?: {
  config?: ApiConfigOverrides;
  limiter?: ReturnType<typeof createMemoryRateLimiter>;
}) => Promise<{ api: TestApi; close: () => Promise<void> }>;

const newOpId = newClientId;

async function lastEventId(api: TestApi, partitionId: string): Promise<number> {
  const row = await api.deps.db
    .selectFrom(`events_${partitionId}`)
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  return Number(row?.id ?? 0);
}

async function profileEvents(api: TestApi, partitionId: string) {
  const rows = await api.deps.db.selectFrom(`events_${partitionId}`).select(['type', 'data']).where('type', '=', 'profile.updated').orderBy('id').execute();
  return rows.map((r) => r.data as { userId: string; displayName: string; status: string; avatarId: string | null });
}

async function insertAvatar(api: TestApi, id: string, userId: string) {
  await api.deps.db
    .insertInto('avatars')
    .values({ id, user_id: userId, mime_type: 'image/webp', size_bytes: 4, storage: 'db', data: Buffer.from('RIFF') })
    .execute();
}

/**
 * `profile.*` against one database: ann is in two workspaces (`pra` with ben, `prb` with cat),
 * dan only in his own (`prc`).
 */
export function describeProfiles(name: string, makeApi: MakeApi) {
  describe(name, () => {
    let api: TestApi;
    let close: () => Promise<void>;
    let pa: TestWorkspace;
    let pb: TestWorkspace;
    let pc: TestWorkspace;
    let ann: TestUser;
    let ben: TestUser;
    let cat: TestUser;
    let dan: TestUser;

    beforeAll(async () => {
      ({ api, close } = await makeApi());
      pa = await createTestWorkspace(api, 'pra', 'ann', ['ben']);
      [ann, ben] = [pa.owner, pa.members[0]!];
      pb = await createTestWorkspace(api, 'prb', 'cat');
      cat = pb.owner;
      await ann.caller.partition.join({ inviteCode: pb.inviteCode });
      pc = await createTestWorkspace(api, 'prc', 'dan');
      dan = pc.owner;
    });
    afterAll(() => close());

    test('bad input is refused with the field and a clear message, and nothing changes', async () => {
      const cases: [Record<string, unknown>, string, string][] = [
        [{ displayName: '   ' }, 'displayName', PROFILE_REFUSAL.displayNameEmpty],
        [{ displayName: 'x'.repeat(65) }, 'displayName', PROFILE_REFUSAL.displayNameTooLong],
        [{ displayName: 'evil\u202Eeman' }, 'displayName', PROFILE_REFUSAL.displayNamePlain],
        [{ status: 's'.repeat(81) }, 'status', PROFILE_REFUSAL.statusTooLong],
        [{ status: 'out\nto lunch' }, 'status', PROFILE_REFUSAL.statusOneLine],
        [{ avatarId: '../etc/passwd' }, 'avatarId', 'That is not an avatar id.'],
      ];
      const before = await profileEvents(api, 'pra');
      for (const [input, field, message] of cases) {
        const error = await trpcError(ann.caller.profile.update({ ...input, opId: newOpId() }));
        expect(error.code).toBe('BAD_REQUEST');
        const shape = wireError(error);
        expect(shape.message).toBe(`${field}: ${message}`);
        expect((shape.data as { fieldErrors?: Record<string, string[]> }).fieldErrors?.[field]).toEqual([message]);
      }
      expect((await trpcError(ann.caller.profile.update({ opId: newOpId() }))).message).toContain(PROFILE_REFUSAL.nothingToChange);
      expect((await trpcError(ann.caller.profile.update({ displayName: 'Ann', opId: 'not-a-uuid' }))).code).toBe('BAD_REQUEST');
      expect(await ann.caller.profile.mine()).toEqual({ userId: ann.id, displayName: 'ann', status: '', avatarId: null });
      expect(await profileEvents(api, 'pra')).toEqual(before);
    });

    test("someone else's avatar, or one that does not exist, is refused and nothing changes", async () => {
      await insertAvatar(api, 'av-ben', ben.id);
      for (const avatarId of ['av-ben', 'av-missing']) {
        const error = await trpcError(ann.caller.profile.update({ avatarId, displayName: 'Changed', opId: newOpId() }));
        expect(error.code).toBe('NOT_FOUND');
        expect(error.message).toBe(PROFILE_REFUSAL.noSuchAvatar);
      }
      expect(await ann.caller.profile.mine()).toMatchObject({ displayName: 'ann', avatarId: null });
    });

    test('a change reaches the members of every workspace of the person, live, and not others', async () => {
      await insertAvatar(api, 'av-ann', ann.id);
      const [fromA, fromB, fromC] = await Promise.all([lastEventId(api, 'pra'), lastEventId(api, 'prb'), lastEventId(api, 'prc')]);
      const benStream = takeEvents<ParleyEvent>(ben.caller.event.onEvent({ partitionId: 'pra', lastEventId: fromA }), 1);
      const catStream = takeEvents<ParleyEvent>(cat.caller.event.onEvent({ partitionId: 'prb', lastEventId: fromB }), 1);
      const danStream = takeEvents<ParleyEvent>(dan.caller.event.onEvent({ partitionId: 'prc', lastEventId: fromC }), 1);
      await new Promise((r) => setTimeout(r, 100));

      const profile = await ann.caller.profile.update({ displayName: '  Ann Lee ', status: 'On holiday 🌴', avatarId: 'av-ann', opId: newOpId() });
      const expected = { userId: ann.id, displayName: 'Ann Lee', status: 'On holiday 🌴', avatarId: 'av-ann' };
      expect(profile).toEqual(expected);
      // Dan shares no workspace with Ann: the next thing his stream hears is his own message.
      const danMessage = await dan.caller.message.send({ partitionId: 'prc', roomId: pc.general, clientId: newClientId(), body: 'just me' });

      for (const stream of [benStream, catStream]) {
        const [got] = await stream;
        expect(got!.data).toMatchObject({ type: 'profile.updated', roomId: null, actorId: ann.id, data: expected });
      }
      const [danGot] = await danStream;
      expect(danGot!.data).toMatchObject({ type: 'message.created', data: { id: danMessage.id } });
      expect(await profileEvents(api, 'prc')).toEqual([]);

      // Lists and later messages say the new name; a member who missed it replays it.
      expect(await ben.caller.profile.list({ partitionId: 'pra' })).toContainEqual(expected);
      expect(await cat.caller.profile.list({ partitionId: 'prb' })).toContainEqual(expected);
      const sent = await ann.caller.message.send({ partitionId: 'pra', roomId: pa.general, clientId: newClientId(), body: 'hi' });
      expect(sent.authorName).toBe('Ann Lee');
      const replay = await takeEvents<ParleyEvent>(ben.caller.event.onEvent({ partitionId: 'pra', lastEventId: fromA }), 1);
      expect(replay[0]!.data).toMatchObject({ type: 'profile.updated', data: expected });
    });

    test('removing the avatar and clearing the status: only the given fields change', async () => {
      const profile = await ann.caller.profile.update({ avatarId: null, status: '', opId: newOpId() });
      expect(profile).toEqual({ userId: ann.id, displayName: 'Ann Lee', status: '', avatarId: null });
      expect((await profileEvents(api, 'prb')).at(-1)).toEqual(profile);
    });

    test('a retry with the same opId appends no second event', async () => {
      const opId = newOpId();
      const before = [(await profileEvents(api, 'pra')).length, (await profileEvents(api, 'prb')).length];
      const first = await ann.caller.profile.update({ status: 'Back', opId });
      const again = await ann.caller.profile.update({ status: 'Back', opId });
      expect(again).toEqual(first);
      expect([(await profileEvents(api, 'pra')).length, (await profileEvents(api, 'prb')).length]).toEqual([before[0]! + 1, before[1]! + 1]);
      // The same id for another kind of change is a conflict, not a silent success.
      const reused = await trpcError(ann.caller.reaction.add({ partitionId: 'pra', messageId: '1', emoji: '👍', opId }));
      expect(reused.code).toBe('CONFLICT');
    });

    test('profile.list is for members only', async () => {
      const error = await trpcError(dan.caller.profile.list({ partitionId: 'pra' }));
      expect(error.code).toBe('NOT_FOUND');
      const unauthenticated = await trpcError(api.caller().profile.list({ partitionId: 'pra' }));
      expect(unauthenticated.code).toBe('UNAUTHORIZED');
      expect(await trpcError(api.caller().profile.update({ status: 'x', opId: newOpId() })).then((e) => e.code)).toBe('UNAUTHORIZED');
    });

    test('a change stopped part-way (the change limit) is completed by the retry, each workspace told once', async () => {
      let now = 1_000_000;
      const limited = await makeApi({
        limiter: createMemoryRateLimiter({ now: () => now }),
        config: { rateLimits: { changesPerUser: { limit: 1, windowMs: 10_000 } } },
      });
      try {
        const w1 = await createTestWorkspace(limited.api, 'pqa', 'eve');
        const eve = w1.owner;
        const w2 = await createTestWorkspace(limited.api, 'pqb', 'fay');
        now += 20_000;
        await eve.caller.partition.join({ inviteCode: w2.inviteCode });
        now += 20_000;
        const opId = newOpId();
        const stopped = await trpcError(eve.caller.profile.update({ displayName: 'Eve Ray', opId }));
        expect(stopped.code).toBe('TOO_MANY_REQUESTS');
        expect((await profileEvents(limited.api, 'pqa')).length + (await profileEvents(limited.api, 'pqb')).length).toBe(1);
        now += 20_000;
        await eve.caller.profile.update({ displayName: 'Eve Ray', opId });
        now += 20_000;
        await eve.caller.profile.update({ displayName: 'Eve Ray', opId });
        for (const partitionId of ['pqa', 'pqb']) {
          expect(await profileEvents(limited.api, partitionId)).toEqual([{ userId: eve.id, displayName: 'Eve Ray', status: '', avatarId: null }]);
        }
      } finally {
        await limited.close();
      }
    });
  });
}
