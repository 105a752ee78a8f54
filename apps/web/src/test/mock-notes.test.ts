import { afterEach, expect, test, vi } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import {
  createParleyClient,
  lockHolderOf,
  manualNetwork,
  memoryStorage,
  NOTE_TITLE_MAX_CHARS,
  noteLockedBy,
  noteLockLost,
  REFUSAL,
  ROLE_NEEDED,
  type AppRouter,
  type NoteEditor,
  type ParleyClient,
} from '@parley/client';
import type { Role } from '../lib/trpc.ts';
import { ACME, ADA, BOB, GENERAL, MockParley, ORIGIN, RANDOM } from './msw-server.ts';

// The fake's notes through the real client (`trpcNotesApi`, `NotesStore`, `NoteEditor`): what
// the SPA's notes tests rely on behaves as the client expects of the real server.

const P = { partitionId: ACME.id };
const BOB_HOLDS = { holder: { userId: BOB.id, displayName: 'Bob' } };

let parley: MockParley;
let client: ParleyClient;
const editors: NoteEditor[] = [];

afterEach(async () => {
  for (const editor of editors.splice(0)) editor.dispose();
  await client.close();
  await parley.close();
});

function start(role: Role = 'member') {
  parley = new MockParley({ partitions: [{ partition: { ...ACME, role }, rooms: [GENERAL, RANDOM] }] });
  parley.listen();
  client = createParleyClient({ url: ORIGIN, storage: memoryStorage(), network: manualNetwork(), user: { id: ADA.id, name: ADA.displayName } });
}

/** An editor of Ada's on the note, with no page events (the test decides when it locks). */
async function editorOf(noteId: string): Promise<NoteEditor> {
  const editor = client.notes.editor(ACME.id, noteId, { page: null });
  editors.push(editor);
  await editor.ready;
  return editor;
}

async function refusal(call: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof TRPCClientError)) throw new Error(`Expected a refusal, got ${String(error)}`);
  return error as TRPCClientError<AppRouter>;
}

const types = () => parley.partitions.get(ACME.id)!.events.map((e) => e.type);

test('a member creates a note and lists it; another’s note streams into the watched store; event ids stay dense', async () => {
  start();
  const stop = client.notes.watch(ACME.id);
  await parley.whenSubscribed();
  const note = await client.notes.create({ ...P, title: '  Plan  ', body: 'Q1' });
  expect(note).toMatchObject({ partitionId: ACME.id, title: 'Plan', body: 'Q1', version: 1, createdBy: ADA.id, updatedByName: 'Ada', lock: null });
  const [listed] = await client.trpc.note.list.query(P);
  expect(listed).toEqual({ ...note, body: undefined });
  expect(listed).not.toHaveProperty('body');

  const bobs = parley.notes.seed(ACME.id, { title: 'Bob’s', body: 'hi', by: BOB });
  await vi.waitFor(() => expect(client.notes.getNote(ACME.id, bobs.id)).toMatchObject({ title: 'Bob’s', createdBy: BOB.id, lock: null }));
  parley.notes.lockAs(bobs.id, BOB);
  await vi.waitFor(() => expect(client.notes.getNote(ACME.id, bobs.id)?.lock).toMatchObject(BOB_HOLDS));
  parley.notes.saveAs(bobs.id, BOB, { body: 'hello' });
  parley.notes.unlockAs(bobs.id);
  await vi.waitFor(() => expect(client.notes.getNote(ACME.id, bobs.id)).toMatchObject({ body: 'hello', version: 2, lock: null }));
  parley.notes.deleteAs(bobs.id, BOB);
  await vi.waitFor(() => expect(client.notes.isDeleted(ACME.id, bobs.id)).toBe(true));
  expect(parley.notes.note(bobs.id)).toBeNull();
  stop();

  const events = parley.partitions.get(ACME.id)!.events;
  expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
  expect(types()).toEqual(['note.created', 'note.created', 'note.locked', 'note.saved', 'note.unlocked', 'note.deleted']);
  expect(events.every((e) => e.roomId === null)).toBe(true);
});

test('the editor takes the lock; Bob’s lock makes it refused with lockedBy = Bob, as CONFLICT with error.data.lock', async () => {
  start();
  const note = parley.notes.seed(ACME.id, { title: 'Plan', by: ADA });
  const editor = await editorOf(note.id);
  expect(await editor.acquire()).toBe(true);
  expect(editor.getSnapshot()).toMatchObject({ status: 'held', lockedBy: null });
  expect(parley.notes.note(note.id)?.lock).toMatchObject({ holder: { userId: ADA.id, displayName: 'Ada' } });
  await editor.release();
  expect(parley.notes.note(note.id)?.lock).toBeNull();

  const token = parley.notes.lockAs(note.id, BOB);
  expect(token).toBe(2);
  const bobsLock = parley.notes.note(note.id)!.lock!;
  expect(await editor.acquire()).toBe(false);
  expect(editor.getSnapshot()).toMatchObject({ status: 'idle', lockedBy: bobsLock, error: noteLockedBy('Bob', bobsLock.expiresAt) });

  const e = await refusal(client.trpc.note.lock.mutate({ ...P, noteId: note.id }));
  expect(e.data).toMatchObject({ code: 'CONFLICT', httpStatus: 409 });
  expect(lockHolderOf(e)).toEqual({ ...BOB_HOLDS, expiresAt: bobsLock.expiresAt });
  // Nothing changed: Bob still holds it with his token.
  expect(parley.notes.note(note.id)?.lock).toEqual(bobsLock);
  expect(types().filter((t) => t.startsWith('note.'))).toEqual(['note.created', 'note.locked', 'note.unlocked', 'note.locked']);
});

test('a save under the lock makes a version; the same text again does not; history pages newest first; restore saves an old text', async () => {
  start();
  const note = await client.notes.create({ ...P, title: 'Plan', body: 'first' });
  const editor = await editorOf(note.id);
  expect(await editor.acquire()).toBe(true);
  expect(await editor.save({ title: 'Plan', body: 'second' })).toBe(true);
  expect(editor.getSnapshot()).toMatchObject({ status: 'held', draft: null, note: { version: 2, body: 'second' } });
  expect(parley.notes.versions(note.id).map((v) => [v.version, v.body, v.savedByName])).toEqual([
    [2, 'second', 'Ada'],
    [1, 'first', 'Ada'],
  ]);

  const { token } = await client.trpc.note.lock.mutate({ ...P, noteId: note.id });
  const logged = types().length;
  expect(await client.trpc.note.save.mutate({ ...P, noteId: note.id, token, body: 'second' })).toMatchObject({ version: 2 });
  expect(types()).toHaveLength(logged);
  await client.trpc.note.save.mutate({ ...P, noteId: note.id, token, title: 'Plan, renamed', body: 'third' });

  const page = await client.notes.history(ACME.id, note.id, { limit: 2 });
  expect(page.versions.map((v) => v.version)).toEqual([3, 2]);
  expect(page.nextBefore).toBe(2);
  const rest = await client.notes.history(ACME.id, note.id, { before: 2, limit: 2 });
  expect([rest.versions.map((v) => v.version), rest.nextBefore]).toEqual([[1], null]);

  expect(await client.trpc.note.restore.mutate({ ...P, noteId: note.id, token, version: 1 })).toMatchObject({ version: 4, title: 'Plan', body: 'first' });
  expect(parley.partitions.get(ACME.id)!.events.at(-1)).toMatchObject({ type: 'note.saved', actorId: ADA.id, data: { version: 4, restoredFrom: 1 } });
  // Save and close: the version and the release together.
  const closed = await client.trpc.note.save.mutate({ ...P, noteId: note.id, token, body: 'done', release: true });
  expect(closed).toMatchObject({ version: 5, lock: null });
  expect(types().slice(-2)).toEqual(['note.saved', 'note.unlocked']);
});

test('expired and swept, the lock is lost on the next save: PRECONDITION_FAILED, the text kept as a draft; taken meanwhile, lockedBy names Bob', async () => {
  start();
  const note = parley.notes.seed(ACME.id, { title: 'Plan', body: 'first', by: ADA });
  const editor = await editorOf(note.id);
  expect(await editor.acquire()).toBe(true);
  expect(parley.notes.expire(note.id)).toBe(true);
  expect(parley.partitions.get(ACME.id)!.events.at(-1)).toMatchObject({
    type: 'note.unlocked',
    actorId: null,
    data: { reason: 'expired', holderId: ADA.id, by: null },
  });

  expect(await editor.save({ title: 'Plan', body: 'mine' })).toBe(false);
  expect(editor.getSnapshot()).toMatchObject({
    status: 'lost',
    lockedBy: null,
    error: noteLockLost({ kind: 'released' }, 'save'),
    draft: { title: 'Plan', body: 'mine', baseVersion: 1 },
  });
  expect(parley.notes.note(note.id)).toMatchObject({ body: 'first', version: 1 });

  // Locked again, her draft is saved at once (the note did not change meanwhile).
  expect(await editor.acquire()).toBe(true);
  expect(editor.getSnapshot()).toMatchObject({ status: 'held', draft: null });
  expect(parley.notes.note(note.id)).toMatchObject({ body: 'mine', version: 2 });
  // Her lock lapses (not swept yet) and Bob takes it: its end is logged before his lock.
  parley.notes.expire(note.id, { sweep: false });
  parley.notes.lockAs(note.id, BOB);
  expect(types().slice(-2)).toEqual(['note.unlocked', 'note.locked']);
  expect(await editor.save({ title: 'Plan', body: 'mine, again' })).toBe(false);
  const state = editor.getSnapshot();
  expect(state).toMatchObject({ status: 'lost', lockedBy: BOB_HOLDS });
  expect(state.error).toBe(noteLockLost({ kind: 'taken', displayName: 'Bob', expiresAt: state.lockedBy!.expiresAt }, 'save'));
});

test('roles and bad input: the server’s words', async () => {
  start('viewer');
  const note = parley.notes.seed(ACME.id, { title: 'Bob’s', by: BOB });
  expect((await client.trpc.note.get.query({ ...P, noteId: note.id })).title).toBe('Bob’s');
  let e = await refusal(client.trpc.note.create.mutate({ ...P, title: 'mine' }));
  expect([e.data?.code, e.message]).toEqual(['FORBIDDEN', ROLE_NEEDED.member]);

  parley.changeRole(ADA.id, 'member');
  e = await refusal(client.trpc.note.create.mutate({ ...P, title: '   ' }));
  expect([e.data?.code, e.message, e.data?.fieldErrors]).toEqual(['BAD_REQUEST', `title: ${REFUSAL.noteTitleMissing}`, { title: [REFUSAL.noteTitleMissing] }]);
  e = await refusal(client.trpc.note.create.mutate({ ...P, title: 't'.repeat(NOTE_TITLE_MAX_CHARS + 1) }));
  expect(e.message).toBe(`title: ${REFUSAL.noteTitleTooLong}`);
  e = await refusal(client.trpc.note.delete.mutate({ ...P, noteId: note.id }));
  expect([e.data?.code, e.message]).toEqual(['FORBIDDEN', REFUSAL.notNoteDeleter]);
  e = await refusal(client.trpc.note.forceUnlock.mutate({ ...P, noteId: note.id }));
  expect([e.data?.code, e.message]).toEqual(['FORBIDDEN', ROLE_NEEDED.admin]);
  e = await refusal(client.trpc.note.save.mutate({ ...P, noteId: note.id, token: 1, body: 'sneaky' }));
  expect([e.data?.code, e.message, lockHolderOf(e)]).toEqual(['PRECONDITION_FAILED', noteLockLost({ kind: 'never' }, 'save'), null]);

  // An admin ends Bob's lock (fencing his token) and deletes his note; then it is gone for everyone.
  parley.changeRole(ADA.id, 'admin');
  expect(parley.notes.lockAs(note.id, BOB)).toBe(1);
  expect(await client.notes.forceUnlock(ACME.id, note.id)).toEqual({ noteId: note.id, released: true, holderId: BOB.id });
  expect(parley.partitions.get(ACME.id)!.events.at(-1)).toMatchObject({ type: 'note.unlocked', actorId: ADA.id, data: { reason: 'forced', holderId: BOB.id } });
  await client.notes.delete(ACME.id, note.id);
  e = await refusal(client.trpc.note.lock.mutate({ ...P, noteId: note.id }));
  expect([e.data?.code, e.message]).toEqual(['NOT_FOUND', REFUSAL.noSuchNote]);
  expect(await client.trpc.note.list.query(P)).toEqual([]);
});
