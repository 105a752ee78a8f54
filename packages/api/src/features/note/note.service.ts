import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { Database } from '@parley/db';
import { isWorkspaceModerator, noteLockedBy, REFUSAL } from '@parley/rules';
import { AppError } from '../../errors.ts';
import { commitChange, type Change } from '../event/event.commit.ts';
import type { NewEvent } from '../event/event.types.ts';
import type { InPartition } from '../room/room.service.ts';
import { assertHoldsLock, liveLock, NO_SUCH_NOTE, noteForUpdate, type Editing } from './note.lock.ts';
import * as repo from './note.repo.ts';
import type { CreateNoteInput, DeleteNoteInput, NoteHistoryInput, NoteRefInput, RestoreNoteInput, SaveNoteInput } from './note.schema.ts';
import type { NoteDto, NoteHistoryPage, NoteSummaryDto } from './note.types.ts';

export { forceUnlockNote, lockNote, releaseEndedSessionLocks, renewNoteLock, sweepNoteLocks, unlockNote } from './note.lock.ts';

/** Notes `note.list` answers at most (the most recently changed). */
export const NOTES_LISTED = 1000;

function toSummary(partitionId: string, r: repo.NoteListRow): NoteSummaryDto {
  return {
    id: r.id,
    partitionId,
    title: r.title,
    version: r.version,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedBy: r.updated_by,
    updatedByName: r.updated_by_name,
    updatedAt: r.updated_at,
    lock: r.holder_id ? { holder: { userId: r.holder_id, displayName: r.holder_name ?? r.holder_id }, expiresAt: r.lock_expires_at! } : null,
  };
}

/** The workspace's notes, most recently changed first, each with its live lock (viewers and up). */
export async function listNotes(ctx: InPartition): Promise<NoteSummaryDto[]> {
  const rows = await repo.listNotes(ctx.db, ctx.partitionId, { limit: NOTES_LISTED });
  return rows.map((r) => toSummary(ctx.partitionId, r));
}

/** One note with its text and its live lock (who is editing, until when), or NOT_FOUND. */
export async function getNote(ctx: InPartition, input: NoteRefInput, db: Kysely<Database> = ctx.db): Promise<NoteDto> {
  const [row] = await repo.listNotes(db, ctx.partitionId, { noteId: input.noteId, limit: 1 });
  if (!row) throw new AppError('NOT_FOUND', NO_SUCH_NOTE);
  return { ...toSummary(ctx.partitionId, row), body: row.body };
}

/** A new note (members and up): version 1, unlocked. */
export async function createNote(ctx: Editing, input: CreateNoteInput): Promise<NoteDto> {
  return commitChange(ctx, { opId: input.opId, kind: 'note.create' }, async (trx) => {
    const row = await repo.insertNote(trx, ctx.partitionId, { id: uuidv7(), title: input.title, body: input.body ?? '', userId: ctx.user.id });
    await repo.insertVersion(trx, ctx.partitionId, {
      noteId: row.id,
      version: 1,
      title: row.title,
      body: row.body,
      savedBy: ctx.user.id,
      savedAt: row.created_at,
    });
    const note: NoteDto = {
      id: row.id,
      partitionId: ctx.partitionId,
      title: row.title,
      body: row.body,
      version: row.version,
      createdBy: row.created_by,
      createdAt: row.created_at,
      updatedBy: row.updated_by,
      updatedByName: ctx.user.display_name,
      updatedAt: row.updated_at,
      lock: null,
    };
    return { result: note, events: [{ type: 'note.created', roomId: null, actorId: ctx.user.id, data: note }] };
  });
}

/**
 * Writes a new text under the caller's lock (checked with its token, see `assertHoldsLock`) as
 * the next version, with `note.saved`; `release` also ends the lock. The same text again is no
 * new version (a retried save changes nothing).
 */
async function saveText(
  ctx: Editing,
  trx: Kysely<Database>,
  input: { noteId: string; token: number; title?: string | undefined; body: string; release?: boolean | undefined },
  restoredFrom?: number,
): Promise<Change<NoteDto>> {
  const note = await noteForUpdate(trx, ctx.partitionId, input.noteId);
  assertHoldsLock(ctx, note, input.token, 'save');
  let version: number | undefined;
  if (restoredFrom !== undefined) {
    const old = await repo.findVersion(trx, ctx.partitionId, note.id, restoredFrom);
    if (!old) throw new AppError('NOT_FOUND', REFUSAL.noSuchNoteVersion);
    input = { ...input, title: old.title, body: old.body };
  }
  const title = input.title ?? note.title;
  const events: NewEvent[] = [];
  if (title !== note.title || input.body !== note.body) {
    const row = await repo.updateNoteText(trx, ctx.partitionId, note.id, { title, body: input.body, userId: ctx.user.id });
    version = row.version;
    await repo.insertVersion(trx, ctx.partitionId, { noteId: note.id, version, title, body: input.body, savedBy: ctx.user.id, savedAt: row.updated_at });
    events.push({
      type: 'note.saved',
      roomId: null,
      actorId: ctx.user.id,
      data: { id: note.id, title, body: input.body, version, savedBy: ctx.user.id, savedByName: ctx.user.display_name, savedAt: row.updated_at, restoredFrom },
    });
  }
  if (input.release) {
    await repo.clearLock(trx, ctx.partitionId, note.id);
    events.push({
      type: 'note.unlocked',
      roomId: null,
      actorId: ctx.user.id,
      data: { noteId: note.id, holderId: ctx.user.id, reason: 'released', by: ctx.user.id },
    });
  }
  return { result: await getNote(ctx, { noteId: note.id }, trx), events };
}

export async function saveNote(ctx: Editing, input: SaveNoteInput): Promise<NoteDto> {
  return commitChange(ctx, { opId: input.opId, kind: 'note.save' }, (trx) => saveText(ctx, trx, input));
}

/** An old version's title and text saved again, as the next version, under the caller's lock. */
export async function restoreNote(ctx: Editing, input: RestoreNoteInput): Promise<NoteDto> {
  return commitChange(ctx, { opId: input.opId, kind: 'note.restore' }, (trx) =>
    saveText(ctx, trx, { noteId: input.noteId, token: input.token, body: '' }, input.version),
  );
}

/**
 * Deletes a note: its creator, or a workspace owner or admin. While someone else edits it only
 * an owner or admin may (their lock goes with the note; their next save answers NOT_FOUND).
 */
export async function deleteNote(ctx: Editing, input: DeleteNoteInput): Promise<{ id: string; deleted: true }> {
  return commitChange(ctx, { opId: input.opId, kind: 'note.delete' }, async (trx) => {
    const note = await noteForUpdate(trx, ctx.partitionId, input.noteId);
    const moderator = isWorkspaceModerator(ctx.role);
    if (note.created_by !== ctx.user.id && !moderator) throw new AppError('FORBIDDEN', REFUSAL.notNoteDeleter);
    const lock = liveLock(note);
    if (lock && lock.holder.userId !== ctx.user.id && !moderator) {
      throw new AppError('CONFLICT', noteLockedBy(lock.holder.displayName, lock.expiresAt), { data: { lock } });
    }
    const { deleted_at } = await repo.markNoteDeleted(trx, ctx.partitionId, note.id, ctx.user.id);
    return {
      result: { id: note.id, deleted: true as const },
      events: [{ type: 'note.deleted', roomId: null, actorId: ctx.user.id, data: { id: note.id, deletedBy: ctx.user.id, deletedAt: deleted_at! } }],
    };
  });
}

/** A note's versions, newest first (viewers and up). */
export async function noteHistory(ctx: InPartition, input: NoteHistoryInput): Promise<NoteHistoryPage> {
  if (!(await repo.noteExists(ctx.db, ctx.partitionId, input.noteId))) throw new AppError('NOT_FOUND', NO_SUCH_NOTE);
  const rows = await repo.listVersions(ctx.db, ctx.partitionId, input.noteId, { before: input.before, limit: input.limit });
  const last = rows.at(-1);
  return {
    versions: rows.map((r) => ({
      noteId: r.note_id,
      version: r.version,
      title: r.title,
      body: r.body,
      savedBy: r.saved_by,
      savedByName: r.saved_by_name,
      savedAt: r.saved_at,
    })),
    nextBefore: last && last.version > 1 && rows.length === input.limit ? last.version : null,
  };
}
