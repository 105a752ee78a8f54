import type { NoteDto, ParleyEvent } from '@parley/api';
import { noteLockedBy, noteLockLost } from '@parley/rules';
import type { NoteEventSource } from './notes-store.ts';
import type { NotesApi } from './notes-api.ts';
import { networkError, refusal } from './test-server.ts';

interface Row {
  note: NoteDto;
  lock: { userId: string; name: string; token: number; expiresAt: number } | null;
  deleted: boolean;
}

type Person = { readonly id: string; readonly name: string };

/**
 * An in-memory notes server for unit tests (fake timers: its clock is `Date.now()`): the lock
 * rules of `note.lock.ts` (CONFLICT with `data.lock`, PRECONDITION_FAILED for a token that does
 * not hold, fencing tokens), events to the watchers, and `down` for network failures.
 */
export class FakeNotesServer {
  readonly rows = new Map<string, Row>();
  readonly events: ParleyEvent[] = [];
  readonly calls: string[] = [];
  readonly #listeners = new Set<(event: ParleyEvent) => void>();
  #token = 0;
  #ids = 0;
  /** Every call fails as if the network were gone. */
  down = false;

  constructor(
    readonly partitionId: string,
    readonly lockMs: number,
  ) {}

  /** The event source a `NotesStore` takes. */
  eventSource(): NoteEventSource {
    return { watch: () => () => {}, onEvent: (listener) => (this.#listeners.add(listener), () => this.#listeners.delete(listener)) };
  }

  seed(title: string, body: string, by: Person): NoteDto {
    const at = new Date().toISOString();
    const note: NoteDto = {
      id: `note-${++this.#ids}`,
      partitionId: this.partitionId,
      title,
      body,
      version: 1,
      createdBy: by.id,
      createdAt: at,
      updatedBy: by.id,
      updatedByName: by.name,
      updatedAt: at,
      lock: null,
    };
    this.rows.set(note.id, { note, lock: null, deleted: false });
    return note;
  }

  /** Someone else saves (the note moves on while a draft waits). */
  saveAs(noteId: string, by: Person, text: { title: string; body: string }): void {
    const row = this.#row(noteId);
    const at = new Date().toISOString();
    row.note = { ...row.note, ...text, version: row.note.version + 1, updatedBy: by.id, updatedByName: by.name, updatedAt: at };
    this.#emit({ type: 'note.saved', data: { id: noteId, ...text, version: row.note.version, savedBy: by.id, savedByName: by.name, savedAt: at } });
  }

  forceUnlock(noteId: string): void {
    const row = this.#row(noteId);
    if (!row.lock) return;
    const holderId = row.lock.userId;
    row.lock = null;
    this.#emit({ type: 'note.unlocked', data: { noteId, holderId, reason: 'forced', by: 'admin' } });
  }

  api(me: Person): NotesApi {
    const call = <T>(name: string, fn: () => T): Promise<T> => {
      this.calls.push(`${me.name}:${name}`);
      if (this.down) return Promise.reject(networkError());
      try {
        return Promise.resolve(fn());
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    const holding = (noteId: string, token: number, action: 'save' | 'renew' | 'unlock') => {
      const row = this.#row(noteId);
      const lock = row.lock && row.lock.expiresAt > Date.now() ? row.lock : null;
      if (!lock || lock.userId !== me.id || lock.token !== token) {
        const data = lock ? { holder: { userId: lock.userId, displayName: lock.name }, expiresAt: new Date(lock.expiresAt).toISOString() } : null;
        throw Object.assign(
          refusal(
            'PRECONDITION_FAILED',
            noteLockLost(lock ? { kind: 'taken', displayName: lock.name, expiresAt: lock.expiresAt } : { kind: 'released' }, action),
          ),
          {
            data: { code: 'PRECONDITION_FAILED', lock: data },
          },
        );
      }
      return row;
    };
    return {
      list: () => call('list', () => [...this.rows.values()].filter((r) => !r.deleted).map((r) => this.#dto(r))),
      get: (_p, noteId) => call('get', () => this.#dto(this.#row(noteId))),
      create: (input) => call('create', () => this.seed(input.title, input.body ?? '', me)),
      lock: (_p, noteId) =>
        call('lock', () => {
          const row = this.#row(noteId);
          const lock = row.lock && row.lock.expiresAt > Date.now() ? row.lock : null;
          if (lock && lock.userId !== me.id) {
            const expiresAt = new Date(lock.expiresAt).toISOString();
            throw Object.assign(refusal('CONFLICT', noteLockedBy(lock.name, expiresAt)), {
              data: { code: 'CONFLICT', lock: { holder: { userId: lock.userId, displayName: lock.name }, expiresAt } },
            });
          }
          row.lock = { userId: me.id, name: me.name, token: ++this.#token, expiresAt: Date.now() + this.lockMs };
          const expiresAt = new Date(row.lock.expiresAt).toISOString();
          this.#emit({ type: 'note.locked', data: { noteId, holder: { userId: me.id, displayName: me.name }, expiresAt } });
          return { noteId, token: row.lock.token, expiresAt };
        }),
      renew: ({ noteId, token }) =>
        call('renew', () => {
          const row = holding(noteId, token, 'renew');
          row.lock!.expiresAt = Date.now() + this.lockMs;
          return { noteId, expiresAt: new Date(row.lock!.expiresAt).toISOString() };
        }),
      save: ({ noteId, token, title, body, release }) =>
        call('save', () => {
          const row = holding(noteId, token, 'save');
          if (title === row.note.title && body === row.note.body) return this.#dto(row);
          const at = new Date().toISOString();
          row.note = {
            ...row.note,
            title: title ?? row.note.title,
            body,
            version: row.note.version + 1,
            updatedBy: me.id,
            updatedByName: me.name,
            updatedAt: at,
          };
          this.#emit({
            type: 'note.saved',
            data: { id: noteId, title: row.note.title, body, version: row.note.version, savedBy: me.id, savedByName: me.name, savedAt: at },
          });
          if (release) row.lock = null;
          return this.#dto(row);
        }),
      restore: () => call('restore', () => Promise.reject(new Error('not in the fake'))) as never,
      unlock: ({ noteId, token }) =>
        call('unlock', () => {
          const row = holding(noteId, token, 'unlock');
          row.lock = null;
          this.#emit({ type: 'note.unlocked', data: { noteId, holderId: me.id, reason: 'released', by: me.id } });
          return { noteId, released: true };
        }),
      forceUnlock: ({ noteId }) => call('forceUnlock', () => (this.forceUnlock(noteId), { noteId, released: true, holderId: null })),
      history: () => call('history', () => ({ versions: [], nextBefore: null })),
      delete: ({ noteId }) =>
        call('delete', () => {
          this.#row(noteId).deleted = true;
          this.#emit({ type: 'note.deleted', data: { id: noteId, deletedBy: me.id, deletedAt: new Date().toISOString() } });
          return { id: noteId, deleted: true as const };
        }),
    };
  }

  #row(noteId: string): Row {
    const row = this.rows.get(noteId);
    if (!row || row.deleted) throw refusal('NOT_FOUND', 'No such note in this workspace.');
    return row;
  }

  #dto(row: Row): NoteDto {
    const lock = row.lock && row.lock.expiresAt > Date.now() ? row.lock : null;
    return { ...row.note, lock: lock ? { holder: { userId: lock.userId, displayName: lock.name }, expiresAt: new Date(lock.expiresAt).toISOString() } : null };
  }

  #emit(change: Pick<ParleyEvent, 'type' | 'data'>): void {
    const event = {
      ...change,
      id: this.events.length + 1,
      partitionId: this.partitionId,
      roomId: null,
      at: new Date().toISOString(),
      actorId: null,
    } as ParleyEvent;
    this.events.push(event);
    for (const listener of [...this.#listeners]) listener(event);
  }

  /** Sends an event again (a replay after a reconnect). */
  replay(event: ParleyEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }
}
