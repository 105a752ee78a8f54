import type { RequestHandler } from 'msw';
import type { createTRPCMsw } from 'msw-trpc';
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { uuidv7 } from 'uuidv7';
import {
  isWorkspaceModerator,
  NOTE_BODY_MAX_CHARS,
  NOTE_LOCK_MS,
  NOTE_TITLE_MAX_CHARS,
  noteLockedBy,
  noteLockLost,
  REFUSAL,
  type AppRouter,
  type NoteDto,
  type NoteLockGrant,
  type NoteLockInfo,
  type NoteSummaryDto,
  type NoteUnlockReason,
  type NoteVersionDto,
} from '@parley/client';
import type { Me, ParleyEvent, Role } from '../lib/trpc.ts';
import type { Audience, MockNote, PartitionState } from './mock-state.ts';

/** What the note procedures need of `MockParley`. */
export interface NoteHost {
  readonly partitions: ReadonlyMap<string, PartitionState>;
  /** As `partitionProcedure(min)`: the signed-in user's membership, at least `min`. */
  access(partitionId: string, min: 'viewer' | 'member' | 'admin'): { p: PartitionState; me: Me; role: Role };
  /** Logs the event (next id) for `audience` and streams it to those of them listening. */
  append(p: PartitionState, audience: Audience, make: (id: number, at: string) => ParleyEvent): ParleyEvent;
  /** As `commitChange`: the same opId gets the first answer back and changes nothing. */
  once<T>(opId: string | undefined, run: () => T): T;
}

/** Someone who writes or locks a note: `BOB` of `msw-server.ts`, or the signed-in `Me`. */
export type NotePerson = { readonly id: string; readonly displayName: string };

type Trpc = ReturnType<typeof createTRPCMsw<AppRouter>>;
type NoteLockLoss = Parameters<typeof noteLockLost>[0];
type NoteEvent = Extract<ParleyEvent, { type: `note.${string}` }>;
/** One note event's `type` and `data`, the pair kept together (the envelope comes from the log). */
type NoteChange = NoteEvent extends infer E ? (E extends NoteEvent ? Pick<E, 'type' | 'data'> : never) : never;

/** Bob of `msw-server.ts` (not imported from there: that module imports this one). */
const BOB: NotePerson = { id: '0197a000-0000-7000-8000-00000000000b', displayName: 'Bob' };

/** The server's `NOTES_LISTED` (note.service.ts): `note.list` answers the most recently changed this many. */
const NOTES_LISTED = 1000;
/** `noteHistoryInput`'s default `limit`. */
const HISTORY_PAGE = 50;
/** The server's `PLAIN_NAME` and `UNSTORABLE_TEXT` (packages/api schemas.ts), which the web app may not import. */
const PLAIN_NAME = /^[^\p{Cc}\u202A-\u202E\u2066-\u2069]*$/u;
// eslint-disable-next-line no-control-regex -- NUL is the point: PostgreSQL cannot store it.
const UNSTORABLE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE = 'cannot contain the NUL character or broken Unicode (a lone surrogate).';

const refuse = (code: TRPC_ERROR_CODE_KEY, message: string) => new TRPCError({ code, message });

/**
 * A refusal that says who holds the lock. The server's errorFormatter sends AppError's
 * `data.lock` as `error.data.lock`; msw-trpc copies a thrown error's own fields into `error.data`
 * (beside `code`, `httpStatus`, `path`), so the field goes on the error itself. `null` is sent
 * too, as the server does for a lost lock nobody holds now.
 */
function lockRefusal(code: 'CONFLICT' | 'PRECONDITION_FAILED', message: string, lock: NoteLockInfo | null): TRPCError {
  return Object.assign(refuse(code, message), { lock });
}

/**
 * A zod refusal of `note.schema.ts` as the errorFormatter writes it: the message prefixed with
 * its field, and the field's message in `data.fieldErrors` (forms show it at the field).
 */
function invalid(field: 'title' | 'body', message: string): TRPCError {
  return Object.assign(refuse('BAD_REQUEST', `${field}: ${message}`), { fieldErrors: { [field]: [message] } });
}

/** `noteTitleSchema`: trimmed, 1–200 characters, no control or text-direction characters. */
function checkTitle(title: string): string {
  const trimmed = title.trim();
  if (!trimmed) throw invalid('title', REFUSAL.noteTitleMissing);
  if (trimmed.length > NOTE_TITLE_MAX_CHARS) throw invalid('title', REFUSAL.noteTitleTooLong);
  if (!PLAIN_NAME.test(trimmed)) throw invalid('title', 'A note title cannot contain control or text-direction characters.');
  if (UNSTORABLE_TEXT.test(trimmed)) throw invalid('title', `A note title ${UNSTORABLE}`);
  return trimmed;
}

/** `noteBodySchema`: not trimmed (whitespace is the writer's), may be empty. */
function checkBody(body: string): string {
  if (body.length > NOTE_BODY_MAX_CHARS) throw invalid('body', REFUSAL.noteBodyTooLong);
  if (UNSTORABLE_TEXT.test(body)) throw invalid('body', `A note ${UNSTORABLE}`);
  return body;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** `note.list`'s order: most recently changed first, then by id. */
function byRecency(a: NoteSummaryDto, b: NoteSummaryDto): number {
  if (a.updatedAt !== b.updatedAt) return a.updatedAt < b.updatedAt ? 1 : -1;
  return a.id < b.id ? -1 : 1;
}

/**
 * Notes on the fake server (seed 001), under the real server's rules (`note.service.ts`,
 * `note.lock.ts`) and with its events to the whole workspace (`note.created`, `note.saved`,
 * `note.locked`, `note.renewed`, `note.unlocked` with its reason, `note.deleted`). The lock
 * lives `lockMs` and is judged on `Date.now()` (fake timers move it); each acquisition has the
 * next fencing token of its note. There are no sessions here: a lock ends by release, force,
 * deletion, or expiry (`expire`, the sweep).
 *
 * Tests act as someone else with no checks but the lock's rules: `seed`, `lockAs`, `saveAs`,
 * `unlockAs`, `expire`, `deleteAs`; and read what the server has: `note`, `versions`.
 */
export class MockNotes {
  /** How long a lock lives after it is taken or renewed (the server's `config.noteLockMs`). */
  lockMs = NOTE_LOCK_MS;
  readonly #host: NoteHost;

  constructor(host: NoteHost) {
    this.#host = host;
  }

  /** Someone else (Bob unless said) creates a note, with no checks: version 1, unlocked, `note.created`. */
  seed(partitionId: string, { title, body = '', by = BOB }: { title: string; body?: string; by?: NotePerson }): NoteDto {
    const p = this.#host.partitions.get(partitionId);
    if (!p) throw new Error(`No workspace ${partitionId}`);
    return this.#create(p, by, title, body);
  }

  /**
   * `person` takes the lock as `note.lock` would: refused while someone else holds it; a lapsed
   * lock of someone else is ended first (`note.unlocked`, `expired`). `note.locked`; returns the
   * fencing token.
   */
  lockAs(noteId: string, person: NotePerson, { partitionId }: { partitionId?: string } = {}): number {
    const { p, row } = this.#locate(noteId, partitionId);
    const lock = liveLock(row);
    if (lock && lock.holder.userId !== person.id) throw new Error(`lockAs: ${noteLockedBy(lock.holder.displayName, lock.expiresAt)}`);
    return this.#take(p, row, person).token;
  }

  /**
   * `person` saves a new text (the title stays unless given) as the next version: `note.saved`.
   * Takes and releases nothing; refused only while someone else holds the lock. The same text
   * again changes nothing, as on the server.
   */
  saveAs(noteId: string, person: NotePerson, text: { title?: string; body: string }, { partitionId }: { partitionId?: string } = {}): NoteDto {
    const { p, row } = this.#locate(noteId, partitionId);
    const lock = liveLock(row);
    if (lock && lock.holder.userId !== person.id) throw new Error(`saveAs: ${noteLockedBy(lock.holder.displayName, lock.expiresAt)}`);
    this.#write(p, row, person, { title: text.title ?? row.note.title, body: text.body });
    return this.#dto(row);
  }

  /**
   * Whoever's lock ends (false: there was none): `note.unlocked` with `reason`, by the holder
   * (`released`), by `by` (`forced`: Bob unless said), or by nobody (`expired`, `session-ended`:
   * the sweep). The holder's token is fenced: their next save is refused.
   */
  unlockAs(noteId: string, reason: NoteUnlockReason = 'released', { by, partitionId }: { by?: string; partitionId?: string } = {}): boolean {
    const { p, row } = this.#locate(noteId, partitionId);
    if (!row.lock) return false;
    const actor = by ?? (reason === 'released' ? row.lock.holder.userId : reason === 'forced' ? BOB.id : null);
    this.#clear(p, row, reason, actor);
    return true;
  }

  /**
   * The lock's time is up. By default the sweep has run too: the lock is gone, with
   * `note.unlocked` (`expired`, by nobody), and the holder's next save hears it was released.
   * With `sweep: false` it has only lapsed (nothing logged): `note.get` shows no lock, the
   * holder's next save hears it expired, and the next taker logs its end.
   */
  expire(noteId: string, { sweep = true, partitionId }: { sweep?: boolean; partitionId?: string } = {}): boolean {
    const { p, row } = this.#locate(noteId, partitionId);
    if (!row.lock) return false;
    if (sweep) this.#clear(p, row, 'expired', null);
    else row.lock.expiresAt = Math.min(row.lock.expiresAt, Date.now());
    return true;
  }

  /** `person` deletes the note, with no checks: `note.deleted`; its lock goes with it. */
  deleteAs(noteId: string, person: NotePerson, { partitionId }: { partitionId?: string } = {}): void {
    const { p, row } = this.#locate(noteId, partitionId);
    this.#delete(p, row, person.id);
  }

  /** The note as `note.get` would answer now (its live lock), or null once deleted. */
  note(noteId: string): NoteDto | null {
    const { row } = this.#locate(noteId, undefined, { deleted: true });
    return row.deletedAt ? null : this.#dto(row);
  }

  /** Every version of the note, newest first (as `note.history`). */
  versions(noteId: string): NoteVersionDto[] {
    return [...this.#locate(noteId, undefined, { deleted: true }).row.versions].reverse();
  }

  procedures(t: Trpc): RequestHandler[] {
    const host = this.#host;
    return [
      t.note.list.query(({ input }) => {
        const { p } = host.access(input.partitionId, 'viewer');
        return [...p.notes.values()]
          .filter((row) => !row.deletedAt)
          .map((row): NoteSummaryDto => {
            const { body: _body, ...summary } = row.note;
            return { ...summary, lock: liveLock(row) };
          })
          .sort(byRecency)
          .slice(0, NOTES_LISTED);
      }),
      t.note.get.query(({ input }) => {
        const { p } = host.access(input.partitionId, 'viewer');
        return this.#dto(this.#find(p, input.noteId));
      }),
      t.note.create.mutation(({ input }) => {
        const { p, me } = host.access(input.partitionId, 'member');
        const title = checkTitle(input.title);
        const body = checkBody(input.body ?? '');
        return host.once(input.opId, () => this.#create(p, me, title, body));
      }),
      t.note.lock.mutation(({ input }) => {
        const { p, me } = host.access(input.partitionId, 'member');
        const row = this.#find(p, input.noteId);
        const lock = liveLock(row);
        if (lock && lock.holder.userId !== me.id) throw lockRefusal('CONFLICT', noteLockedBy(lock.holder.displayName, lock.expiresAt), lock);
        // Locking a note you already hold (another tab) takes it again: a new token, the old one fenced.
        return this.#take(p, row, me);
      }),
      t.note.renew.mutation(({ input }) => {
        const { p, me } = host.access(input.partitionId, 'member');
        const row = this.#find(p, input.noteId);
        assertHoldsLock(row, me, input.token, 'renew');
        const lock = row.lock!;
        lock.expiresAt = Date.now() + this.lockMs;
        const expiresAt = iso(lock.expiresAt);
        this.#append(p, me.id, { type: 'note.renewed', data: { noteId: row.note.id, holder: { ...lock.holder }, expiresAt } });
        return { noteId: row.note.id, expiresAt };
      }),
      t.note.save.mutation(({ input }) => {
        const { p, me } = host.access(input.partitionId, 'member');
        const title = input.title === undefined ? undefined : checkTitle(input.title);
        const body = checkBody(input.body);
        return host.once(input.opId, () => {
          const row = this.#find(p, input.noteId);
          assertHoldsLock(row, me, input.token, 'save');
          this.#write(p, row, me, { title: title ?? row.note.title, body });
          // Save and close: the release goes with the version.
          if (input.release) this.#clear(p, row, 'released', me.id);
          return this.#dto(row);
        });
      }),
      t.note.restore.mutation(({ input }) => {
        const { p, me } = host.access(input.partitionId, 'member');
        return host.once(input.opId, () => {
          const row = this.#find(p, input.noteId);
          assertHoldsLock(row, me, input.token, 'save');
          const old = row.versions.find((v) => v.version === input.version);
          if (!old) throw refuse('NOT_FOUND', REFUSAL.noSuchNoteVersion);
          this.#write(p, row, me, { title: old.title, body: old.body }, input.version);
          return this.#dto(row);
        });
      }),
      t.note.history.query(({ input }) => {
        const { p } = host.access(input.partitionId, 'viewer');
        const row = this.#find(p, input.noteId);
        const limit = input.limit ?? HISTORY_PAGE;
        const versions = [...row.versions]
          .reverse()
          .filter((v) => input.before === undefined || v.version < input.before)
          .slice(0, limit);
        const last = versions.at(-1);
        return { versions, nextBefore: last && last.version > 1 && versions.length === limit ? last.version : null };
      }),
      t.note.unlock.mutation(({ input }) => {
        const { p, me } = host.access(input.partitionId, 'member');
        return host.once(input.opId, () => {
          const row = this.#find(p, input.noteId);
          // The lock this token named ended already and nobody holds the note: a repeated release is harmless.
          if (!row.lock && row.token === input.token) return { noteId: row.note.id, released: false };
          // Their own lock with this token, even lapsed, ends now; anything else is refused and stays.
          if (row.lock?.holder.userId !== me.id || row.token !== input.token) assertHoldsLock(row, me, input.token, 'unlock');
          this.#clear(p, row, 'released', me.id);
          return { noteId: row.note.id, released: true };
        });
      }),
      t.note.forceUnlock.mutation(({ input }) => {
        const { p, me } = host.access(input.partitionId, 'admin');
        return host.once(input.opId, () => {
          const row = this.#find(p, input.noteId);
          // A lapsed lock the sweep has not cleared yet is still ended (and told) here.
          if (!row.lock) return { noteId: row.note.id, released: false, holderId: null };
          const holderId = row.lock.holder.userId;
          this.#clear(p, row, 'forced', me.id);
          return { noteId: row.note.id, released: true, holderId };
        });
      }),
      t.note.delete.mutation(({ input }) => {
        const { p, me, role } = host.access(input.partitionId, 'member');
        return host.once(input.opId, () => {
          const row = this.#find(p, input.noteId);
          const moderator = isWorkspaceModerator(role);
          if (row.note.createdBy !== me.id && !moderator) throw refuse('FORBIDDEN', REFUSAL.notNoteDeleter);
          // While someone else edits it only an owner or admin may (the lock goes with the note).
          const lock = liveLock(row);
          if (lock && lock.holder.userId !== me.id && !moderator) {
            throw lockRefusal('CONFLICT', noteLockedBy(lock.holder.displayName, lock.expiresAt), lock);
          }
          this.#delete(p, row, me.id);
          return { id: row.note.id, deleted: true as const };
        });
      }),
    ];
  }

  /** The note for a procedure: another workspace's, a deleted one or none answers NOT_FOUND. */
  #find(p: PartitionState, noteId: string): MockNote {
    const row = p.notes.get(noteId);
    if (!row || row.deletedAt) throw refuse('NOT_FOUND', REFUSAL.noSuchNote);
    return row;
  }

  /** The note for a driver, in `partitionId` or any workspace; a test naming a missing one is a mistake. */
  #locate(noteId: string, partitionId: string | undefined, { deleted = false }: { deleted?: boolean } = {}): { p: PartitionState; row: MockNote } {
    for (const p of this.#host.partitions.values()) {
      if (partitionId !== undefined && p.partition.id !== partitionId) continue;
      const row = p.notes.get(noteId);
      if (!row) continue;
      if (row.deletedAt && !deleted) throw new Error(`Note ${noteId} is deleted`);
      return { p, row };
    }
    throw new Error(`No note ${noteId}${partitionId === undefined ? '' : ` in ${partitionId}`}`);
  }

  #dto(row: MockNote): NoteDto {
    return { ...row.note, lock: liveLock(row) };
  }

  #append(p: PartitionState, actorId: string | null, change: NoteChange): void {
    // Notes are workspace-wide (`roomId` null): every member's stream gets them.
    this.#host.append(p, null, (id, at) => ({ id, partitionId: p.partition.id, roomId: null, at, actorId, ...change }));
  }

  #create(p: PartitionState, by: NotePerson, title: string, body: string): NoteDto {
    const at = new Date().toISOString();
    const note: NoteDto = {
      id: uuidv7(),
      partitionId: p.partition.id,
      title,
      body,
      version: 1,
      createdBy: by.id,
      createdAt: at,
      updatedBy: by.id,
      updatedByName: by.displayName,
      updatedAt: at,
      lock: null,
    };
    const { lock: _lock, ...text } = note;
    const version = { noteId: note.id, version: 1, title, body, savedBy: by.id, savedByName: by.displayName, savedAt: at };
    p.notes.set(note.id, { note: text, lock: null, token: 0, deletedAt: null, versions: [version] });
    this.#append(p, by.id, { type: 'note.created', data: { ...note } });
    return note;
  }

  /** `lockNote` past its check: the next token, `lockMs` from now; a lapsed lock of someone else is logged as ended first. */
  #take(p: PartitionState, row: MockNote, person: NotePerson): NoteLockGrant {
    const previous = row.lock;
    const holder = { userId: person.id, displayName: person.displayName };
    row.token += 1;
    row.lock = { holder, expiresAt: Date.now() + this.lockMs };
    const noteId = row.note.id;
    if (previous && previous.holder.userId !== person.id) {
      this.#append(p, null, { type: 'note.unlocked', data: { noteId, holderId: previous.holder.userId, reason: 'expired', by: null } });
    }
    const expiresAt = iso(row.lock.expiresAt);
    this.#append(p, person.id, { type: 'note.locked', data: { noteId, holder: { ...holder }, expiresAt } });
    return { noteId, token: row.token, expiresAt };
  }

  /** `saveText`'s write: the next version and `note.saved`, unless the text is the same (a retried save changes nothing). */
  #write(p: PartitionState, row: MockNote, by: NotePerson, { title, body }: { title: string; body: string }, restoredFrom?: number): void {
    if (title === row.note.title && body === row.note.body) return;
    const savedAt = new Date().toISOString();
    const version = row.note.version + 1;
    const saved = { title, body, version, savedBy: by.id, savedByName: by.displayName, savedAt };
    row.note = { ...row.note, title, body, version, updatedBy: by.id, updatedByName: by.displayName, updatedAt: savedAt };
    row.versions.push({ noteId: row.note.id, ...saved });
    this.#append(p, by.id, { type: 'note.saved', data: { id: row.note.id, ...saved, ...(restoredFrom === undefined ? {} : { restoredFrom }) } });
  }

  /** The lock ends (the token stays, so the holder's is fenced): `note.unlocked`. */
  #clear(p: PartitionState, row: MockNote, reason: NoteUnlockReason, by: string | null): void {
    if (!row.lock) return;
    const holderId = row.lock.holder.userId;
    row.lock = null;
    this.#append(p, by, { type: 'note.unlocked', data: { noteId: row.note.id, holderId, reason, by } });
  }

  #delete(p: PartitionState, row: MockNote, by: string): void {
    const deletedAt = new Date().toISOString();
    row.deletedAt = deletedAt;
    // The lock goes with the note, told by `note.deleted` alone (as `markNoteDeleted`).
    row.lock = null;
    this.#append(p, by, { type: 'note.deleted', data: { id: row.note.id, deletedBy: by, deletedAt } });
  }
}

/** The live lock: held and unexpired on `Date.now()`; else null (free, or lapsed and not yet swept). */
function liveLock(row: MockNote): NoteLockInfo | null {
  if (!row.lock || row.lock.expiresAt <= Date.now()) return null;
  return { holder: { ...row.lock.holder }, expiresAt: iso(row.lock.expiresAt) };
}

/**
 * `assertHoldsLock`: the caller's lock, this very token, unexpired. Anything else is
 * PRECONDITION_FAILED saying why, with who holds it now in `error.data.lock`; nothing changes.
 */
function assertHoldsLock(row: MockNote, me: NotePerson, token: number, action: 'save' | 'renew' | 'unlock'): void {
  const lock = liveLock(row);
  if (lock && lock.holder.userId === me.id && row.token === token) return;
  const lockedBy = row.lock?.holder.userId ?? null;
  let loss: NoteLockLoss;
  if (token > row.token) loss = { kind: 'never' };
  else if (lock && lock.holder.userId !== me.id) loss = { kind: 'taken', displayName: lock.holder.displayName, expiresAt: lock.expiresAt };
  else if (token < row.token) loss = lockedBy === me.id ? { kind: 'replaced' } : { kind: 'released' };
  // Past this, a lock of mine with this token is lapsed: there are no sessions here to end.
  else if (lockedBy === me.id) loss = { kind: 'expired', expiresAt: row.lock!.expiresAt };
  else loss = lockedBy ? { kind: 'never' } : { kind: 'released' };
  throw lockRefusal('PRECONDITION_FAILED', noteLockLost(loss, action), lock);
}
