import type { TRPCRouterRecord } from '@trpc/server';
import { partitionProcedure } from '../../trpc.ts';
import {
  createNoteInput,
  deleteNoteInput,
  forceUnlockInput,
  lockedNoteInput,
  noteHistoryInput,
  noteRefInput,
  restoreNoteInput,
  saveNoteInput,
} from './note.schema.ts';
import * as service from './note.service.ts';

export const noteRouter = {
  /** The workspace's notes (no text), most recently changed first, each with who is editing it. */
  list: partitionProcedure('viewer').query(({ ctx }) => service.listNotes(ctx)),
  /** One note with its text and its lock (`{ holder, expiresAt }` or null). */
  get: partitionProcedure('viewer')
    .input(noteRefInput)
    .query(({ ctx, input }) => service.getNote(ctx, input)),
  create: partitionProcedure('member')
    .input(createNoteInput)
    .mutation(({ ctx, input }) => service.createNote(ctx, input)),
  /** Takes the edit lock → `{ token, expiresAt }`; held by someone else → CONFLICT with `error.data.lock`. */
  lock: partitionProcedure('member')
    .input(noteRefInput)
    .mutation(({ ctx, input }) => service.lockNote(ctx, input)),
  /** The holder keeps the lock (every 2 minutes while the editor is open) → `{ expiresAt }`. */
  renew: partitionProcedure('member')
    .input(lockedNoteInput)
    .mutation(({ ctx, input }) => service.renewNoteLock(ctx, input)),
  /** A new version under the lock (its token); a lost lock → PRECONDITION_FAILED, nothing saved. */
  save: partitionProcedure('member')
    .input(saveNoteInput)
    .mutation(({ ctx, input }) => service.saveNote(ctx, input)),
  /** An old version saved again as the next one, under the lock. */
  restore: partitionProcedure('member')
    .input(restoreNoteInput)
    .mutation(({ ctx, input }) => service.restoreNote(ctx, input)),
  /** Versions newest first, paged with `before`. */
  history: partitionProcedure('viewer')
    .input(noteHistoryInput)
    .query(({ ctx, input }) => service.noteHistory(ctx, input)),
  unlock: partitionProcedure('member')
    .input(lockedNoteInput)
    .mutation(({ ctx, input }) => service.unlockNote(ctx, input)),
  /** Workspace owners and admins: ends anyone's lock (audited); the holder's token is fenced. */
  forceUnlock: partitionProcedure('admin')
    .input(forceUnlockInput)
    .mutation(({ ctx, input }) => service.forceUnlockNote(ctx, input)),
  /** The note's creator, or a workspace owner or admin. */
  delete: partitionProcedure('member')
    .input(deleteNoteInput)
    .mutation(({ ctx, input }) => service.deleteNote(ctx, input)),
} satisfies TRPCRouterRecord;
