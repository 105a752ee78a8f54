import type { TRPCClient } from '@trpc/client';
import type { AppRouter, NoteDto, NoteHistoryPage, NoteLockGrant, NoteLockInfo, NoteSummaryDto } from '@parley/api';

/** What `note.renew` answers: the lock's new expiry (database clock, ISO-8601). */
export interface NoteRenewal {
  noteId: string;
  expiresAt: string;
}

/** What `note.unlock` and `note.forceUnlock` answer (`released: false`: there was no lock to end). */
export interface NoteUnlockResult {
  noteId: string;
  released: boolean;
  holderId?: string | null | undefined;
}

/**
 * The slice of the server the notes store and the lock helper need: one method per `note.*`
 * procedure, plus the partition's event stream. The real one is tRPC (`trpcNotesApi`); tests
 * give a fake.
 */
export interface NotesApi {
  list(partitionId: string): Promise<NoteSummaryDto[]>;
  get(partitionId: string, noteId: string): Promise<NoteDto>;
  create(input: { partitionId: string; title: string; body?: string | undefined; opId?: string | undefined }): Promise<NoteDto>;
  /** CONFLICT with `error.data.lock` while someone else holds it. */
  lock(partitionId: string, noteId: string): Promise<NoteLockGrant>;
  /** PRECONDITION_FAILED when the token no longer holds. */
  renew(input: { partitionId: string; noteId: string; token: number }): Promise<NoteRenewal>;
  save(input: {
    partitionId: string;
    noteId: string;
    token: number;
    title?: string | undefined;
    body: string;
    release?: boolean | undefined;
    opId?: string | undefined;
  }): Promise<NoteDto>;
  restore(input: { partitionId: string; noteId: string; token: number; version: number; opId?: string | undefined }): Promise<NoteDto>;
  unlock(input: { partitionId: string; noteId: string; token: number }): Promise<NoteUnlockResult>;
  forceUnlock(input: { partitionId: string; noteId: string; opId?: string | undefined }): Promise<NoteUnlockResult>;
  history(input: { partitionId: string; noteId: string; before?: number | undefined; limit?: number | undefined }): Promise<NoteHistoryPage>;
  delete(input: { partitionId: string; noteId: string; opId?: string | undefined }): Promise<{ id: string; deleted: true }>;
}

/**
 * `NotesApi` over the typed tRPC client.
 * @example
 * ```ts
 * const notes = trpcNotesApi(client.trpc);
 * const grant = await notes.lock('acme', noteId); // { token, expiresAt }
 * ```
 */
export function trpcNotesApi(trpc: TRPCClient<AppRouter>): NotesApi {
  return {
    list: (partitionId) => trpc.note.list.query({ partitionId }),
    get: (partitionId, noteId) => trpc.note.get.query({ partitionId, noteId }),
    create: (input) => trpc.note.create.mutate(input),
    lock: (partitionId, noteId) => trpc.note.lock.mutate({ partitionId, noteId }),
    renew: (input) => trpc.note.renew.mutate(input),
    save: (input) => trpc.note.save.mutate(input),
    restore: (input) => trpc.note.restore.mutate(input),
    unlock: (input) => trpc.note.unlock.mutate(input),
    forceUnlock: (input) => trpc.note.forceUnlock.mutate(input),
    history: (input) => trpc.note.history.query(input),
    delete: (input) => trpc.note.delete.mutate(input),
  };
}

/** `error.data.lock` of a refused `note.lock` (CONFLICT) or a lost lock (PRECONDITION_FAILED), when the server named a holder. */
export function lockHolderOf(error: unknown): NoteLockInfo | null {
  const data = error && typeof error === 'object' && 'data' in error ? error.data : undefined;
  if (!data || typeof data !== 'object' || !('lock' in data)) return null;
  const lock = data.lock;
  if (!lock || typeof lock !== 'object' || !('holder' in lock) || !('expiresAt' in lock)) return null;
  return lock as NoteLockInfo;
}
