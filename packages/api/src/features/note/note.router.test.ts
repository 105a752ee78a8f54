import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NOTE_BODY_MAX_CHARS, NOTE_TITLE_MAX_CHARS, REFUSAL, ROLE_NEEDED } from '@parley/rules';
import { createTestApi, createTestWorkspace, type TestApi, type TestUser } from '../../testing.ts';
import { takeEvents, trpcError, wireError } from '../../test-util.ts';
import type { ParleyEvent } from '../event/event.types.ts';

const PID = 'notes_rt';
const P = { partitionId: PID };

let api: TestApi;
let ada: TestUser;
let bob: TestUser;
let cyd: TestUser;
let vic: TestUser;
let root: TestUser;
let outsider: TestUser;

beforeAll(async () => {
  api = await createTestApi();
  const ws = await createTestWorkspace(api, PID, 'nt_root', ['nt_ada', 'nt_bob', 'nt_cyd', 'nt_vic']);
  root = ws.owner;
  [ada, bob, cyd, vic] = ws.members as [TestUser, TestUser, TestUser, TestUser];
  await root.caller.partition.setRole({ ...P, userId: cyd.id, role: 'admin' });
  await root.caller.partition.setRole({ ...P, userId: vic.id, role: 'viewer' });
  outsider = await api.signUp('nt_outsider');
  await outsider.caller.partition.create({ id: 'notes_other', name: 'Other' });
});
afterAll(() => api.close());

/** The events of the workspace's log after `afterId`. */
async function eventsAfter(afterId: number) {
  return api.deps.db.selectFrom(`events_${PID}`).select(['id', 'type', 'actor_id', 'data']).where('id', '>', afterId).orderBy('id').execute();
}
const lastEventId = async () =>
  (await api.deps.db.selectFrom('partitions').select('last_event_id').where('id', '=', PID).executeTakeFirstOrThrow()).last_event_id;
const noteRow = (id: string) => api.deps.db.selectFrom(`notes_${PID}`).selectAll().where('id', '=', id).executeTakeFirstOrThrow();

/** The note's row and the log, to check that a refusal changed neither. */
async function snapshot(noteId: string) {
  return { note: await noteRow(noteId), lastEvent: await lastEventId() };
}

async function newNote(by: TestUser = ada, title = 'Plan') {
  return by.caller.note.create({ ...P, title, body: 'first' });
}

describe('reading and writing', () => {
  test('a member creates a note; every member, a viewer too, reads it and is told of it on their stream', async () => {
    const from = await lastEventId();
    const note = await ada.caller.note.create({ ...P, title: '  Roadmap  ', body: 'Q1: ship notes' });
    expect(note).toMatchObject({ title: 'Roadmap', body: 'Q1: ship notes', version: 1, createdBy: ada.id, updatedByName: 'nt_ada', lock: null });
    expect(await vic.caller.note.get({ ...P, noteId: note.id })).toEqual(note);
    expect((await vic.caller.note.list(P)).find((n) => n.id === note.id)).toMatchObject({ title: 'Roadmap', lock: null });
    const [event] = await takeEvents<ParleyEvent>(vic.caller.event.onEvent({ ...P, lastEventId: from }), 1);
    expect(event!.data).toMatchObject({ type: 'note.created', roomId: null, data: { id: note.id, title: 'Roadmap' } });
  });

  test('save under the lock makes a version; history is newest first and pages; restore saves an old text again as the next version', async () => {
    const note = await newNote(ada, 'Versions');
    const { token } = await ada.caller.note.lock({ ...P, noteId: note.id });
    const v2 = await ada.caller.note.save({ ...P, noteId: note.id, token, body: 'second' });
    expect(v2).toMatchObject({ version: 2, body: 'second', title: 'Versions', lock: { holder: { userId: ada.id } } });
    await ada.caller.note.save({ ...P, noteId: note.id, token, title: 'Versions, renamed', body: 'third' });
    // The same text again is no new version: a retried save changes nothing.
    const from = await lastEventId();
    expect((await ada.caller.note.save({ ...P, noteId: note.id, token, body: 'third' })).version).toBe(3);
    expect(await lastEventId()).toBe(from);

    const history = await vic.caller.note.history({ ...P, noteId: note.id });
    expect(history.versions.map((v) => [v.version, v.title, v.body, v.savedByName])).toEqual([
      [3, 'Versions, renamed', 'third', 'nt_ada'],
      [2, 'Versions', 'second', 'nt_ada'],
      [1, 'Versions', 'first', 'nt_ada'],
    ]);
    const page = await vic.caller.note.history({ ...P, noteId: note.id, limit: 2 });
    expect(page.versions.map((v) => v.version)).toEqual([3, 2]);
    expect((await vic.caller.note.history({ ...P, noteId: note.id, before: page.nextBefore!, limit: 2 })).versions.map((v) => v.version)).toEqual([1]);

    const restored = await ada.caller.note.restore({ ...P, noteId: note.id, token, version: 1 });
    expect(restored).toMatchObject({ version: 4, title: 'Versions', body: 'first' });
    const [saved] = await eventsAfter(from);
    expect(saved).toMatchObject({ type: 'note.saved', actor_id: ada.id, data: { id: note.id, version: 4, body: 'first', restoredFrom: 1 } });
    const e = await trpcError(ada.caller.note.restore({ ...P, noteId: note.id, token, version: 99 }));
    expect([e.code, e.message]).toEqual(['NOT_FOUND', REFUSAL.noSuchNoteVersion]);

    // Save and close: the new version and the release in one transaction.
    const closed = await ada.caller.note.save({ ...P, noteId: note.id, token, body: 'done', release: true });
    expect(closed).toMatchObject({ version: 5, lock: null });
    expect((await eventsAfter(from)).slice(-2).map((r) => r.type)).toEqual(['note.saved', 'note.unlocked']);
  });
});

describe('the lock', () => {
  test('held by someone else: CONFLICT naming them, with error.data.lock, and nothing changed', async () => {
    const note = await newNote();
    const grant = await ada.caller.note.lock({ ...P, noteId: note.id });
    expect(grant).toMatchObject({ noteId: note.id, token: 1 });
    const before = await snapshot(note.id);
    const e = await trpcError(bob.caller.note.lock({ ...P, noteId: note.id }));
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toMatch(/^nt_ada is editing this note until \d\d:\d\d UTC\.$/);
    expect(wireError(e).data).toMatchObject({ lock: { holder: { userId: ada.id, displayName: 'nt_ada' }, expiresAt: grant.expiresAt } });
    expect(await snapshot(note.id)).toEqual(before);
    expect((await vic.caller.note.get({ ...P, noteId: note.id })).lock).toEqual({
      holder: { userId: ada.id, displayName: 'nt_ada' },
      expiresAt: grant.expiresAt,
    });
  });

  test('every acquisition has a higher token; locking again (another tab) fences the old token, whose save is refused', async () => {
    const note = await newNote();
    const first = await ada.caller.note.lock({ ...P, noteId: note.id });
    const second = await ada.caller.note.lock({ ...P, noteId: note.id });
    expect(second.token).toBe(first.token + 1);
    const before = await snapshot(note.id);
    const e = await trpcError(ada.caller.note.save({ ...P, noteId: note.id, token: first.token, body: 'from the old tab' }));
    expect([e.code, e.message]).toEqual([
      'PRECONDITION_FAILED',
      'Your lock on this note was lost (you locked it again in another window or tab); your text was not saved.',
    ]);
    expect(await snapshot(note.id)).toEqual(before);
    expect((await ada.caller.note.save({ ...P, noteId: note.id, token: second.token, body: 'from the new tab' })).version).toBe(2);
  });

  test('renew moves the expiry (and tells viewers); unlock frees it, and a repeated unlock is harmless', async () => {
    const note = await newNote();
    const { token, expiresAt } = await ada.caller.note.lock({ ...P, noteId: note.id });
    const from = await lastEventId();
    const renewed = await ada.caller.note.renew({ ...P, noteId: note.id, token });
    expect(Date.parse(renewed.expiresAt)).toBeGreaterThanOrEqual(Date.parse(expiresAt));
    expect(await ada.caller.note.unlock({ ...P, noteId: note.id, token })).toEqual({ noteId: note.id, released: true });
    expect(await ada.caller.note.unlock({ ...P, noteId: note.id, token })).toEqual({ noteId: note.id, released: false });
    expect((await eventsAfter(from)).map((r) => [r.type, (r.data as { reason?: string }).reason])).toEqual([
      ['note.renewed', undefined],
      ['note.unlocked', 'released'],
    ]);
    expect((await bob.caller.note.lock({ ...P, noteId: note.id })).token).toBe(token + 1);
  });

  test('a lock whose session expired is free: the next person takes it, the end of the old one is logged first', async () => {
    const ada2 = api.caller();
    const { token: t2 } = await ada2.auth.login({ username: 'nt_ada', password: 'correct horse battery', session: 'token' });
    const adaTab = api.caller({ token: t2!, tokenSource: 'bearer' });
    const note = await newNote();
    const { token } = await adaTab.note.lock({ ...P, noteId: note.id });
    // Her session idles out (on the database clock).
    await api.deps.db
      .updateTable('sessions')
      .set({ expires_at: sql<string>`now() - interval '1 second'` })
      .where('user_id', '=', ada.id)
      .where('id', '=', (await noteRow(note.id)).lock_session_id!)
      .execute();
    api.deps.access.clear();
    expect((await vic.caller.note.get({ ...P, noteId: note.id })).lock).toBeNull();
    const from = await lastEventId();
    await bob.caller.note.lock({ ...P, noteId: note.id });
    expect((await eventsAfter(from)).map((r) => [r.type, (r.data as { reason?: string }).reason])).toEqual([
      ['note.unlocked', 'session-ended'],
      ['note.locked', undefined],
    ]);
    // Ada, signed in on another session, cannot save with the token of the ended one.
    const e = await trpcError(ada.caller.note.save({ ...P, noteId: note.id, token, body: 'late' }));
    expect(e.message).toMatch(/^Your lock on this note was lost \(nt_bob is editing it now, until \d\d:\d\d UTC\); your text was not saved\.$/);
    expect(wireError(e).data).toMatchObject({ lock: { holder: { userId: bob.id } } });
  });

  test('signing out releases that session’s locks at once', async () => {
    const { token: sessionToken } = await api.caller().auth.login({ username: 'nt_bob', password: 'correct horse battery', session: 'token' });
    const bobTab = api.caller({ token: sessionToken!, tokenSource: 'bearer' });
    const note = await newNote();
    await bobTab.note.lock({ ...P, noteId: note.id });
    const from = await lastEventId();
    await bobTab.auth.logout();
    expect(
      (await eventsAfter(from)).map((r) => [r.type, (r.data as { noteId?: string; reason?: string }).noteId, (r.data as { reason?: string }).reason]),
    ).toEqual([['note.unlocked', note.id, 'session-ended']]);
    expect((await noteRow(note.id)).locked_by).toBeNull();
  });

  test('force-unlock by an admin is audited and fences the holder: their save is refused', async () => {
    const note = await newNote();
    const { token } = await ada.caller.note.lock({ ...P, noteId: note.id });
    const from = await lastEventId();
    expect(await cyd.caller.note.forceUnlock({ ...P, noteId: note.id })).toEqual({ noteId: note.id, released: true, holderId: ada.id });
    const [event] = await eventsAfter(from);
    expect(event).toMatchObject({ type: 'note.unlocked', actor_id: cyd.id, data: { noteId: note.id, holderId: ada.id, reason: 'forced', by: cyd.id } });
    const audit = await api.deps.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'note.force_unlocked')
      .where('subject', '=', `${PID}/${note.id}`)
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: cyd.id, details: { holderId: ada.id, token } });
    const e = await trpcError(ada.caller.note.save({ ...P, noteId: note.id, token, body: 'mine' }));
    expect([e.code, e.message]).toEqual([
      'PRECONDITION_FAILED',
      'Your lock on this note was lost (it was released or force-unlocked); your text was not saved.',
    ]);
    expect((await noteRow(note.id)).body).toBe('first');
    // A free note: nothing to do, nothing audited.
    expect(await root.caller.note.forceUnlock({ ...P, noteId: note.id })).toMatchObject({ released: false });
    expect(await api.deps.db.selectFrom('audit_log').select('id').where('subject', '=', `${PID}/${note.id}`).execute()).toHaveLength(1);
  });
});

describe('authorization: one rule a test', () => {
  test('a viewer cannot create a note', async () => {
    const e = await trpcError(vic.caller.note.create({ ...P, title: 'mine' }));
    expect([e.code, e.message]).toEqual(['FORBIDDEN', ROLE_NEEDED.member]);
  });

  test('a viewer cannot lock a note', async () => {
    const note = await newNote();
    const e = await trpcError(vic.caller.note.lock({ ...P, noteId: note.id }));
    expect([e.code, e.message]).toEqual(['FORBIDDEN', ROLE_NEEDED.member]);
    expect((await noteRow(note.id)).lock_token).toBe(0);
  });

  test('a member cannot force-unlock', async () => {
    const note = await newNote();
    await ada.caller.note.lock({ ...P, noteId: note.id });
    const e = await trpcError(bob.caller.note.forceUnlock({ ...P, noteId: note.id }));
    expect([e.code, e.message]).toEqual(['FORBIDDEN', ROLE_NEEDED.admin]);
    expect((await noteRow(note.id)).locked_by).toBe(ada.id);
  });

  test('a member cannot delete another’s note; its creator can; so can an admin', async () => {
    const note = await newNote(ada);
    const e = await trpcError(bob.caller.note.delete({ ...P, noteId: note.id }));
    expect([e.code, e.message]).toEqual(['FORBIDDEN', REFUSAL.notNoteDeleter]);
    expect((await noteRow(note.id)).deleted_at).toBeNull();
    expect(await ada.caller.note.delete({ ...P, noteId: note.id })).toEqual({ id: note.id, deleted: true });
    const other = await newNote(bob);
    await cyd.caller.note.delete({ ...P, noteId: other.id });
    expect((await ada.caller.note.list(P)).map((n) => n.id)).not.toContain(other.id);
  });

  test('its creator cannot delete a note someone else is editing (an admin can)', async () => {
    const note = await newNote(ada);
    await bob.caller.note.lock({ ...P, noteId: note.id });
    const e = await trpcError(ada.caller.note.delete({ ...P, noteId: note.id }));
    expect(e.code).toBe('CONFLICT');
    expect(wireError(e).data).toMatchObject({ lock: { holder: { userId: bob.id } } });
    await root.caller.note.delete({ ...P, noteId: note.id });
  });

  test('an outsider gets NOT_FOUND, and so does another workspace’s note id', async () => {
    const note = await newNote();
    const e = await trpcError(outsider.caller.note.get({ ...P, noteId: note.id }));
    expect(e.code).toBe('NOT_FOUND');
    const theirs = await outsider.caller.note.create({ partitionId: 'notes_other', title: 'theirs' });
    for (const call of [ada.caller.note.get({ ...P, noteId: theirs.id }), ada.caller.note.lock({ ...P, noteId: theirs.id })]) {
      const err = await trpcError(call);
      expect([err.code, err.message]).toEqual(['NOT_FOUND', REFUSAL.noSuchNote]);
    }
  });

  test('a deleted note cannot be read, locked or saved', async () => {
    const note = await newNote();
    const { token } = await ada.caller.note.lock({ ...P, noteId: note.id });
    await ada.caller.note.delete({ ...P, noteId: note.id });
    for (const call of [
      bob.caller.note.lock({ ...P, noteId: note.id }),
      ada.caller.note.save({ ...P, noteId: note.id, token, body: 'x' }),
      vic.caller.note.get({ ...P, noteId: note.id }),
      vic.caller.note.history({ ...P, noteId: note.id }),
    ]) {
      expect((await trpcError(call)).code).toBe('NOT_FOUND');
    }
  });
});

describe('bad input: a clear error and nothing changed', () => {
  test('titles and bodies out of their limits', async () => {
    const from = await lastEventId();
    const cases: [Promise<unknown>, string][] = [
      [ada.caller.note.create({ ...P, title: '   ' }), `title: ${REFUSAL.noteTitleMissing}`],
      [ada.caller.note.create({ ...P, title: 't'.repeat(NOTE_TITLE_MAX_CHARS + 1) }), `title: ${REFUSAL.noteTitleTooLong}`],
      [ada.caller.note.create({ ...P, title: 'ok', body: 'b'.repeat(NOTE_BODY_MAX_CHARS + 1) }), `body: ${REFUSAL.noteBodyTooLong}`],
      [ada.caller.note.create({ ...P, title: '\u202Eevil' }), 'title: A note title cannot contain control or text-direction characters.'],
    ];
    for (const [call, message] of cases) {
      const e = await trpcError(call);
      expect([e.code, wireError(e).message]).toEqual(['BAD_REQUEST', message]);
    }
    expect(await lastEventId()).toBe(from);
    // The limits themselves are accepted.
    const max = await ada.caller.note.create({ ...P, title: 't'.repeat(NOTE_TITLE_MAX_CHARS), body: 'b'.repeat(NOTE_BODY_MAX_CHARS) });
    expect(max.body).toHaveLength(NOTE_BODY_MAX_CHARS);
  });

  test('a save without a lock', async () => {
    const note = await newNote();
    const before = await snapshot(note.id);
    const e = await trpcError(ada.caller.note.save({ ...P, noteId: note.id, token: 1, body: 'sneaky' }));
    expect([e.code, e.message]).toEqual(['PRECONDITION_FAILED', 'Your lock on this note was lost (you never held it); your text was not saved.']);
    expect(await snapshot(note.id)).toEqual(before);
  });

  test('renewing (or releasing) someone else’s lock', async () => {
    const note = await newNote();
    const { token } = await ada.caller.note.lock({ ...P, noteId: note.id });
    const before = await snapshot(note.id);
    const e = await trpcError(bob.caller.note.renew({ ...P, noteId: note.id, token }));
    expect(e.code).toBe('PRECONDITION_FAILED');
    expect(e.message).toMatch(/^Your lock on this note was lost \(nt_ada is editing it now, until \d\d:\d\d UTC\); lock it again to go on editing\.$/);
    expect((await trpcError(bob.caller.note.unlock({ ...P, noteId: note.id, token }))).code).toBe('PRECONDITION_FAILED');
    expect(await snapshot(note.id)).toEqual(before);
  });
});
