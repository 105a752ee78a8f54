import type { Kysely } from 'kysely';
import { parsePartitionId, type Database, type PartitionId, type Role, type Session } from '@parley/db';
import { noteLockedBy, noteLockLost, REFUSAL, type NoteLockLoss } from '@parley/rules';
import type { ApiDeps } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { recordAudit } from '../admin/admin.service.ts';
import { commitChange } from '../event/event.commit.ts';
import { appendEvents, publishEvents } from '../event/event.log.ts';
import type { NewEvent } from '../event/event.types.ts';
import type { InPartition } from '../room/room.service.ts';
import * as repo from './note.repo.ts';
import type { ForceUnlockInput, LockedNoteInput, NoteRefInput } from './note.schema.ts';
import type { NoteLockGrant, NoteLockInfo, NoteUnlockReason } from './note.types.ts';

/** A signed-in member acting in a workspace, with the session that takes (and must keep) a lock. */
export type Editing = InPartition & { role: Role; session: Pick<Session, 'id'> };

export const NO_SUCH_NOTE = REFUSAL.noSuchNote;

/** The note, its row locked for this transaction; a deleted note, or none, answers NOT_FOUND. */
export async function noteForUpdate(trx: Kysely<Database>, partitionId: PartitionId, noteId: string): Promise<repo.LockedNoteRow> {
  const note = await repo.findNoteForUpdate(trx, partitionId, noteId);
  if (!note) throw new AppError('NOT_FOUND', NO_SUCH_NOTE);
  return note;
}

/** The live lock's holder, or null (free, expired, or its session ended). */
export function liveLock(note: repo.LockedNoteRow): NoteLockInfo | null {
  if (!note.lock_live || !note.locked_by) return null;
  return { holder: { userId: note.locked_by, displayName: note.holder_name ?? note.locked_by }, expiresAt: note.lock_expires_at! };
}

const unlocked = (noteId: string, holderId: string, reason: NoteUnlockReason, by: string | null): NewEvent => ({
  type: 'note.unlocked',
  roomId: null,
  actorId: by,
  data: { noteId, holderId, reason, by },
});

/**
 * Whether the caller holds the note's lock with this token: their lock, this very token (the
 * last acquisition's), unexpired on the database clock and its session valid. Anything else is
 * PRECONDITION_FAILED with why (and who holds it now, in `error.data.lock`); nothing is written.
 */
export function assertHoldsLock(ctx: Editing, note: repo.LockedNoteRow, token: number, action: 'save' | 'renew' | 'unlock'): void {
  const lock = liveLock(note);
  if (lock && lock.holder.userId === ctx.user.id && note.lock_token === token) return;
  let loss: NoteLockLoss;
  if (token > note.lock_token) loss = { kind: 'never' };
  else if (lock && lock.holder.userId !== ctx.user.id) loss = { kind: 'taken', displayName: lock.holder.displayName, expiresAt: lock.expiresAt };
  else if (token < note.lock_token) loss = note.locked_by === ctx.user.id ? { kind: 'replaced' } : { kind: 'released' };
  else if (note.locked_by === ctx.user.id && note.lock_expired) loss = { kind: 'expired', expiresAt: note.lock_expires_at! };
  else if (note.locked_by === ctx.user.id) loss = { kind: 'session-ended' };
  else loss = note.locked_by ? { kind: 'never' } : { kind: 'released' };
  throw new AppError('PRECONDITION_FAILED', noteLockLost(loss, action), { data: { lock } });
}

/**
 * Seed 001's acquisition, in one transaction: `SELECT … FOR UPDATE` on the note row, then on
 * the database clock: held by someone else (unexpired, their session valid) → CONFLICT naming
 * them, with `error.data.lock`; else the caller takes it for `config.noteLockMs`, the fencing
 * token one higher, and `note.locked` is appended before the commit. Locking a note you already
 * hold (another tab, a reload that lost the token) takes it again: a new token, the old one
 * fenced, so two windows of one person cannot overwrite each other either.
 */
export async function lockNote(ctx: Editing, input: NoteRefInput): Promise<NoteLockGrant> {
  return commitChange(ctx, { kind: 'note.lock' }, async (trx) => {
    const note = await noteForUpdate(trx, ctx.partitionId, input.noteId);
    const lock = liveLock(note);
    if (lock && lock.holder.userId !== ctx.user.id) {
      throw new AppError('CONFLICT', noteLockedBy(lock.holder.displayName, lock.expiresAt), { data: { lock } });
    }
    const taken = await repo.takeLock(trx, ctx.partitionId, note.id, { userId: ctx.user.id, sessionId: ctx.session.id, lockMs: ctx.config.noteLockMs });
    const events: NewEvent[] = [];
    // Someone else's lock that lapsed and the sweep has not cleared yet: say it ended, then who has it now.
    if (note.locked_by && note.locked_by !== ctx.user.id) events.push(unlocked(note.id, note.locked_by, note.lock_expired ? 'expired' : 'session-ended', null));
    const data = { noteId: note.id, holder: { userId: ctx.user.id, displayName: ctx.user.display_name }, expiresAt: taken.lock_expires_at! };
    events.push({ type: 'note.locked', roomId: null, actorId: ctx.user.id, data });
    return { result: { noteId: note.id, token: taken.lock_token, expiresAt: data.expiresAt }, events };
  });
}

/** Moves the expiry to now + `config.noteLockMs` (database clock) for the holder with the current token. */
export async function renewNoteLock(ctx: Editing, input: LockedNoteInput): Promise<{ noteId: string; expiresAt: string }> {
  return commitChange(ctx, { kind: 'note.renew' }, async (trx) => {
    const note = await noteForUpdate(trx, ctx.partitionId, input.noteId);
    assertHoldsLock(ctx, note, input.token, 'renew');
    const expiresAt = await repo.renewLock(trx, ctx.partitionId, note.id, ctx.config.noteLockMs);
    const data = { noteId: note.id, holder: { userId: ctx.user.id, displayName: ctx.user.display_name }, expiresAt };
    return { result: { noteId: note.id, expiresAt }, events: [{ type: 'note.renewed', roomId: null, actorId: ctx.user.id, data }] };
  });
}

/**
 * Releases the caller's lock (Cancel, or done editing). The lock this token named having ended
 * already (released, expired, swept, forced) with nobody holding the note answers
 * `released: false`: a repeated release is harmless. A lock someone else holds now, or an older
 * token, is PRECONDITION_FAILED and stays as it is.
 */
export interface UnlockResult {
  noteId: string;
  released: boolean;
}

export async function unlockNote(ctx: Editing, input: LockedNoteInput): Promise<UnlockResult> {
  return commitChange<UnlockResult>(ctx, { opId: input.opId, kind: 'note.unlock' }, async (trx) => {
    const note = await noteForUpdate(trx, ctx.partitionId, input.noteId);
    if (!note.locked_by && note.lock_token === input.token) return { result: { noteId: note.id, released: false }, events: [] };
    // Their own lock with this token, even lapsed: nobody else has it, so it ends now.
    if (note.locked_by !== ctx.user.id || note.lock_token !== input.token) assertHoldsLock(ctx, note, input.token, 'unlock');
    await repo.clearLock(trx, ctx.partitionId, note.id);
    return { result: { noteId: note.id, released: true }, events: [unlocked(note.id, ctx.user.id, 'released', ctx.user.id)] };
  });
}

/**
 * A workspace owner or admin ends whoever's lock (checked by the router), audited in `audit_log`.
 * The holder's token is fenced: their next save is refused. A free note answers `released: false`.
 */
export async function forceUnlockNote(ctx: Editing, input: ForceUnlockInput): Promise<UnlockResult & { holderId: string | null }> {
  return commitChange<UnlockResult & { holderId: string | null }>(ctx, { opId: input.opId, kind: 'note.forceUnlock' }, async (trx) => {
    const note = await noteForUpdate(trx, ctx.partitionId, input.noteId);
    if (!note.locked_by) return { result: { noteId: note.id, released: false, holderId: null }, events: [] };
    await repo.clearLock(trx, ctx.partitionId, note.id);
    await recordAudit(trx, {
      actor: ctx.user.id,
      action: 'note.force_unlocked',
      subject: `${ctx.partitionId}/${note.id}`,
      details: {
        partitionId: ctx.partitionId,
        noteId: note.id,
        holderId: note.locked_by,
        token: note.lock_token,
        lockExpiresAt: note.lock_expires_at,
        role: ctx.role,
      },
    });
    return { result: { noteId: note.id, released: true, holderId: note.locked_by }, events: [unlocked(note.id, note.locked_by, 'forced', ctx.user.id)] };
  });
}

/**
 * The sweep of one workspace (a background job under a lease: one node per workspace): clears
 * the locks that expired on the database clock or whose session ended, each with its
 * `note.unlocked` (`expired` or `session-ended`) in the same transaction. Returns how many.
 */
export async function sweepNoteLocks(deps: Pick<ApiDeps, 'db' | 'bus' | 'feeds' | 'log'>, partitionId: string): Promise<number> {
  const pid = parsePartitionId(partitionId);
  const events = await deps.db.transaction().execute(async (trx) => {
    const stale = await repo.findStaleLocksForUpdate(trx, pid);
    if (stale.length === 0) return [];
    await repo.clearLocks(
      trx,
      pid,
      stale.map((n) => n.id),
    );
    return appendEvents(
      trx,
      pid,
      stale.map((n) => unlocked(n.id, n.locked_by!, n.expired ? 'expired' : 'session-ended', null)),
    );
  });
  publishEvents(deps, events);
  return events.length;
}

/**
 * After a sign-out: the locks of the ended session are free at once (the sweep would free them
 * within its period anyway), in every workspace of the user. Never fails the sign-out.
 */
export async function releaseEndedSessionLocks(deps: Pick<ApiDeps, 'db' | 'bus' | 'feeds' | 'log'>, userId: string): Promise<void> {
  try {
    for (const partitionId of await repo.listMemberPartitions(deps.db, userId)) await sweepNoteLocks(deps, partitionId);
  } catch (error) {
    deps.log.warn({ err: error, userId }, 'releasing the locks of an ended session failed; the sweep will');
  }
}
