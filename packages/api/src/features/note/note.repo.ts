import { sql, type Kysely, type RawBuilder } from 'kysely';
import { pt, ptAs, type Database, type PartitionId } from '@parley/db';

/** `now() + ms` on the database clock: no node's clock decides a lock's expiry. */
const msFromNow = (ms: number) => sql<string>`now() + ${ms} * interval '1 millisecond'`;

/** The holder's session exists and has not expired (idle or absolute): a lock of an ended session is free. */
const sessionLive = (alias: string) =>
  sql<boolean>`exists (select 1 from sessions s where s.id = ${sql.ref(`${alias}.lock_session_id`)} and s.expires_at > now() and s.absolute_expires_at > now())`;

/** The lock is held: set, unexpired on the database clock, and its session still valid. */
export const lockLive = (alias: string): RawBuilder<boolean> =>
  sql<boolean>`(${sql.ref(`${alias}.locked_by`)} is not null and ${sql.ref(`${alias}.lock_expires_at`)} > now() and ${sessionLive(alias)})`;

const LOCK_CLEARED = { locked_by: null, lock_session_id: null, locked_at: null, lock_expires_at: null } as const;

/**
 * The note (not deleted), its row locked until the transaction ends (`SELECT … FOR UPDATE`: every
 * lock change of one note is serialized here, on every node), with the lock's state on the
 * database clock and the holder's name. The subqueries read other tables without locking them.
 */
export function findNoteForUpdate(trx: Kysely<Database>, partitionId: PartitionId, noteId: string) {
  return trx
    .selectFrom(ptAs(partitionId, 'notes', 'n'))
    .selectAll('n')
    .select((eb) => [
      lockLive('n').as('lock_live'),
      sql<boolean>`coalesce(${sql.ref('n.lock_expires_at')} <= now(), false)`.as('lock_expired'),
      eb.selectFrom('users as u').select('u.display_name').whereRef('u.id', '=', 'n.locked_by').as('holder_name'),
    ])
    .where('n.id', '=', noteId)
    .where('n.deleted_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
}
export type LockedNoteRow = NonNullable<Awaited<ReturnType<typeof findNoteForUpdate>>>;

/** Notes with their live lock and the names shown beside them; `noteId` for one, else the newest `limit`. */
export function listNotes(db: Kysely<Database>, partitionId: PartitionId, opts: { noteId?: string; limit: number }) {
  let q = db
    .selectFrom(ptAs(partitionId, 'notes', 'n'))
    .innerJoin('users as uu', 'uu.id', 'n.updated_by')
    .leftJoin('users as lu', (j) => j.onRef('lu.id', '=', 'n.locked_by').on(lockLive('n')))
    .select([
      'n.id',
      'n.title',
      'n.body',
      'n.version',
      'n.created_by',
      'n.created_at',
      'n.updated_by',
      'n.updated_at',
      'uu.display_name as updated_by_name',
      'lu.id as holder_id',
      'lu.display_name as holder_name',
      'n.lock_expires_at',
    ])
    .where('n.deleted_at', 'is', null)
    .orderBy('n.updated_at', 'desc')
    .orderBy('n.id')
    .limit(opts.limit);
  if (opts.noteId !== undefined) q = q.where('n.id', '=', opts.noteId);
  return q.execute();
}
export type NoteListRow = Awaited<ReturnType<typeof listNotes>>[number];

export function insertNote(trx: Kysely<Database>, partitionId: PartitionId, note: { id: string; title: string; body: string; userId: string }) {
  return trx
    .insertInto(pt(partitionId, 'notes'))
    .values({ id: note.id, title: note.title, body: note.body, created_by: note.userId, updated_by: note.userId, version: 1 })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function insertVersion(
  trx: Kysely<Database>,
  partitionId: PartitionId,
  v: { noteId: string; version: number; title: string; body: string; savedBy: string; savedAt: string },
) {
  return trx
    .insertInto(pt(partitionId, 'note_versions'))
    .values({ note_id: v.noteId, version: v.version, title: v.title, body: v.body, saved_by: v.savedBy, saved_at: v.savedAt })
    .execute();
}

/** Takes the lock for `userId`'s session: the token grows by one, the expiry is the database's now() + `lockMs`. */
export function takeLock(trx: Kysely<Database>, partitionId: PartitionId, noteId: string, holder: { userId: string; sessionId: string; lockMs: number }) {
  return trx
    .updateTable(pt(partitionId, 'notes'))
    .set((eb) => ({
      locked_by: holder.userId,
      lock_session_id: holder.sessionId,
      locked_at: sql<string>`now()`,
      lock_expires_at: msFromNow(holder.lockMs),
      lock_token: eb('lock_token', '+', 1),
    }))
    .where('id', '=', noteId)
    .returning(['lock_token', 'lock_expires_at'])
    .executeTakeFirstOrThrow();
}

export async function renewLock(trx: Kysely<Database>, partitionId: PartitionId, noteId: string, lockMs: number): Promise<string> {
  const row = await trx
    .updateTable(pt(partitionId, 'notes'))
    .set({ lock_expires_at: msFromNow(lockMs) })
    .where('id', '=', noteId)
    .returning('lock_expires_at')
    .executeTakeFirstOrThrow();
  return row.lock_expires_at!;
}

export function clearLock(trx: Kysely<Database>, partitionId: PartitionId, noteId: string) {
  return trx.updateTable(pt(partitionId, 'notes')).set(LOCK_CLEARED).where('id', '=', noteId).execute();
}

/** The new text as the next version; `updated_at` and the version's `saved_at` are the same database instant. */
export function updateNoteText(trx: Kysely<Database>, partitionId: PartitionId, noteId: string, text: { title: string; body: string; userId: string }) {
  return trx
    .updateTable(pt(partitionId, 'notes'))
    .set((eb) => ({ title: text.title, body: text.body, updated_by: text.userId, updated_at: sql<string>`now()`, version: eb('version', '+', 1) }))
    .where('id', '=', noteId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function markNoteDeleted(trx: Kysely<Database>, partitionId: PartitionId, noteId: string, userId: string) {
  return trx
    .updateTable(pt(partitionId, 'notes'))
    .set({ ...LOCK_CLEARED, deleted_at: sql<string>`now()`, deleted_by: userId })
    .where('id', '=', noteId)
    .returning('deleted_at')
    .executeTakeFirstOrThrow();
}

export function findVersion(db: Kysely<Database>, partitionId: PartitionId, noteId: string, version: number) {
  return db.selectFrom(pt(partitionId, 'note_versions')).selectAll().where('note_id', '=', noteId).where('version', '=', version).executeTakeFirst();
}

/** Versions newest first, below `before` when given. */
export function listVersions(db: Kysely<Database>, partitionId: PartitionId, noteId: string, opts: { before?: number | undefined; limit: number }) {
  let q = db
    .selectFrom(ptAs(partitionId, 'note_versions', 'v'))
    .innerJoin('users as u', 'u.id', 'v.saved_by')
    .select(['v.note_id', 'v.version', 'v.title', 'v.body', 'v.saved_by', 'u.display_name as saved_by_name', 'v.saved_at'])
    .where('v.note_id', '=', noteId)
    .orderBy('v.version', 'desc')
    .limit(opts.limit);
  if (opts.before !== undefined) q = q.where('v.version', '<', opts.before);
  return q.execute();
}

export function noteExists(db: Kysely<Database>, partitionId: PartitionId, noteId: string) {
  return db.selectFrom(pt(partitionId, 'notes')).select('id').where('id', '=', noteId).where('deleted_at', 'is', null).executeTakeFirst();
}

/**
 * The locks that are no longer held (expired on the database clock, or their session ended),
 * locked for clearing. A note another transaction is locking right now is skipped: that
 * transaction decides it, and the next sweep sees what it left.
 */
export function findStaleLocksForUpdate(trx: Kysely<Database>, partitionId: PartitionId) {
  return trx
    .selectFrom(ptAs(partitionId, 'notes', 'n'))
    .select(['n.id', 'n.locked_by', sql<boolean>`${sql.ref('n.lock_expires_at')} <= now()`.as('expired')])
    .where('n.locked_by', 'is not', null)
    .where(sql<boolean>`not ${lockLive('n')}`)
    .orderBy('n.id')
    .forUpdate()
    .skipLocked()
    .execute();
}

export function clearLocks(trx: Kysely<Database>, partitionId: PartitionId, noteIds: string[]) {
  return trx.updateTable(pt(partitionId, 'notes')).set(LOCK_CLEARED).where('id', 'in', noteIds).execute();
}

/** The workspaces a user is a member of (whose notes a session of theirs may have locked). */
export async function listMemberPartitions(db: Kysely<Database>, userId: string): Promise<string[]> {
  return (await db.selectFrom('memberships').select('partition_id').where('user_id', '=', userId).execute()).map((r) => r.partition_id);
}
