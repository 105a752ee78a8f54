import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TRPCError } from '@trpc/server';
import { createTestDatabase, postgresForTests, type TestDatabase } from '@parley/db/test-services';
import { createTestApi, createTestWorkspace, type TestApi, type TestUser } from '../../testing.ts';
import { trpcError, wireError } from '../../test-util.ts';
import { sweepNoteLocks } from './note.service.ts';

const baseUrl = await postgresForTests();

const PID = 'pgnotes';
const P = { partitionId: PID };
const CONTENDERS = 50;
const ROUNDS = 20;
/** Short timings for the test (the defaults are 5 minutes and 30 s). */
const LOCK_MS = 1000;
const SWEEP_MS = 400;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!baseUrl)('note locks on PostgreSQL', () => {
  let testDb: TestDatabase;
  let api: TestApi;
  let users: TestUser[];
  let sweeper: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    testDb = await createTestDatabase(baseUrl!);
    api = await createTestApi({ databaseUrl: testDb.url, config: { noteLockMs: LOCK_MS, noteLockSweepMs: SWEEP_MS } });
    const ws = await createTestWorkspace(
      api,
      PID,
      'pg_owner',
      Array.from({ length: CONTENDERS }, (_, i) => `pg_u${i}`),
    );
    users = ws.members;
    // What the `note-lock-sweep` job does on the node holding the workspace's lease, every period.
    const sweep = () => {
      sweeper = setTimeout(() => void sweepNoteLocks(api.deps, PID).finally(sweep), api.deps.config.noteLockSweepMs);
    };
    sweep();
  }, 120_000);
  afterAll(async () => {
    clearTimeout(sweeper);
    await api?.close();
    await testDb?.drop();
  });

  const events = (type: string, noteId: string) =>
    api.deps.db
      .selectFrom(`events_${PID}`)
      .select(['id', 'data'])
      .where('type', '=', type)
      .where(sql<string>`data->>'noteId'`, '=', noteId)
      .orderBy('id')
      .execute();

  test(`race: ${CONTENDERS} people lock one note at once, ${ROUNDS} rounds: exactly one wins each, the others are told who`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const note = await users[round]!.caller.note.create({ ...P, title: `race ${round}` });
      const results = await Promise.allSettled(users.map((u) => u.caller.note.lock({ ...P, noteId: note.id })));
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ user: users[i]!, grant: r.value }] : []));
      expect(winners, `round ${round}`).toHaveLength(1);
      const [{ user: winner, grant }] = winners as [(typeof winners)[number]];
      expect(grant.token).toBe(1);
      for (const r of results) {
        if (r.status === 'fulfilled') continue;
        const e = r.reason as TRPCError;
        expect(e).toBeInstanceOf(TRPCError);
        expect(e.code).toBe('CONFLICT');
        expect(e.message).toContain(`${winner.username} is editing this note until`);
        expect(wireError(e).data).toMatchObject({ lock: { holder: { userId: winner.id, displayName: winner.username }, expiresAt: grant.expiresAt } });
      }
      expect(await events('note.locked', note.id)).toHaveLength(1);
      expect((await api.deps.db.selectFrom(`notes_${PID}`).select('lock_token').where('id', '=', note.id).executeTakeFirstOrThrow()).lock_token).toBe(1);
    }
  }, 120_000);

  test('an unrenewed lock is freed by the sweep within one period, with note.unlocked; the old holder’s stale token cannot save over the next one', async () => {
    const [ann, ben] = users as [TestUser, TestUser];
    const note = await ann.caller.note.create({ ...P, title: 'expiry', body: 'v1' });
    const grant = await ann.caller.note.lock({ ...P, noteId: note.id });
    const deadline = Date.parse(grant.expiresAt) + SWEEP_MS + 500;
    let freedAt: number | undefined;
    while (Date.now() < deadline + 1000) {
      if ((await events('note.unlocked', note.id)).length > 0) {
        freedAt = Date.now();
        break;
      }
      await sleep(50);
    }
    expect(freedAt, 'the sweep freed the lock').toBeDefined();
    expect(freedAt!).toBeLessThanOrEqual(deadline);
    const [unlocked] = await events('note.unlocked', note.id);
    expect(unlocked!.data).toMatchObject({ reason: 'expired', holderId: ann.id, by: null });
    expect((await ben.caller.note.get({ ...P, noteId: note.id })).lock).toBeNull();

    const taken = await ben.caller.note.lock({ ...P, noteId: note.id });
    expect(taken.token).toBe(grant.token + 1);
    await ben.caller.note.save({ ...P, noteId: note.id, token: taken.token, body: 'ben’s work' });
    const e = await trpcError(ann.caller.note.save({ ...P, noteId: note.id, token: grant.token, body: 'ann’s late save' }));
    expect(e.code).toBe('PRECONDITION_FAILED');
    expect(e.message).toContain(`(${ben.username} is editing it now`);
    expect(e.message).toContain('your text was not saved');
    expect((await ben.caller.note.get({ ...P, noteId: note.id })).body).toBe('ben’s work');
  }, 30_000);

  test('a renewed lock is never lost, however long the editing', async () => {
    const [, , cat, dan] = users as [TestUser, TestUser, TestUser, TestUser];
    const note = await cat.caller.note.create({ ...P, title: 'renewed' });
    const { token } = await cat.caller.note.lock({ ...P, noteId: note.id });
    const until = Date.now() + 4 * LOCK_MS;
    while (Date.now() < until) {
      await sleep(LOCK_MS / 3);
      await cat.caller.note.renew({ ...P, noteId: note.id, token });
      expect((await trpcError(dan.caller.note.lock({ ...P, noteId: note.id }))).code).toBe('CONFLICT');
    }
    expect((await cat.caller.note.save({ ...P, noteId: note.id, token, body: 'kept' })).version).toBe(2);
    expect(await events('note.unlocked', note.id)).toEqual([]);
  }, 30_000);

  test('save, renew and a concurrent lock attempt on one note serialize: every save is a version, nothing else gets in', async () => {
    const [, , , , eve, fay] = users as [TestUser, TestUser, TestUser, TestUser, TestUser, TestUser];
    const note = await eve.caller.note.create({ ...P, title: 'busy' });
    const { token } = await eve.caller.note.lock({ ...P, noteId: note.id });
    const calls = await Promise.allSettled([
      ...Array.from({ length: 10 }, (_, i) => eve.caller.note.save({ ...P, noteId: note.id, token, body: `save ${i}` })),
      ...Array.from({ length: 10 }, () => fay.caller.note.lock({ ...P, noteId: note.id })),
      eve.caller.note.renew({ ...P, noteId: note.id, token }),
    ]);
    expect(calls.slice(0, 10).every((c) => c.status === 'fulfilled')).toBe(true);
    expect(calls.slice(10, 20).every((c) => c.status === 'rejected' && (c.reason as TRPCError).code === 'CONFLICT')).toBe(true);
    const versions = await api.deps.db.selectFrom(`note_versions_${PID}`).select('version').where('note_id', '=', note.id).orderBy('version').execute();
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
  }, 30_000);
});
