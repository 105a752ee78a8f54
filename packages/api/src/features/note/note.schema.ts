import { z } from 'zod';
import { NOTE_BODY_MAX_CHARS, NOTE_HISTORY_PAGE_MAX, NOTE_TITLE_MAX_CHARS, REFUSAL } from '@parley/rules';
import { idSchema, opIdSchema, PLAIN_NAME, UNSTORABLE_TEXT } from '../../schemas.ts';

/** The limits live in `@parley/rules`, shared with the client and the SPA. */
export { NOTE_BODY_MAX_CHARS, NOTE_TITLE_MAX_CHARS } from '@parley/rules';

const UNSTORABLE = 'cannot contain the NUL character or broken Unicode (a lone surrogate).';

/** Like a room's name: 1–200 characters after trimming, no control or text-direction characters. */
export const noteTitleSchema = z
  .string()
  .trim()
  .min(1, REFUSAL.noteTitleMissing)
  .max(NOTE_TITLE_MAX_CHARS, REFUSAL.noteTitleTooLong)
  .regex(PLAIN_NAME, 'A note title cannot contain control or text-direction characters.')
  .refine((s) => !UNSTORABLE_TEXT.test(s), `A note title ${UNSTORABLE}`);

/** Plain text (rendered as text or the safe Markdown subset, never HTML); may be empty; not trimmed. */
export const noteBodySchema = z
  .string()
  .max(NOTE_BODY_MAX_CHARS, REFUSAL.noteBodyTooLong)
  .refine((s) => !UNSTORABLE_TEXT.test(s), `A note ${UNSTORABLE}`);

/** A fencing token from `note.lock`. */
export const lockTokenSchema = z.number({ message: 'token: the number note.lock answered.' }).int().positive().max(Number.MAX_SAFE_INTEGER);

export const noteRefInput = z.object({ noteId: idSchema });
export type NoteRefInput = z.infer<typeof noteRefInput>;

export const createNoteInput = z.object({ title: noteTitleSchema, body: noteBodySchema.optional(), opId: opIdSchema.optional() });
export type CreateNoteInput = z.infer<typeof createNoteInput>;

export const lockedNoteInput = z.object({ noteId: idSchema, token: lockTokenSchema, opId: opIdSchema.optional() });
export type LockedNoteInput = z.infer<typeof lockedNoteInput>;

export const saveNoteInput = z.object({
  noteId: idSchema,
  token: lockTokenSchema,
  /** Left out: the title stays. */
  title: noteTitleSchema.optional(),
  body: noteBodySchema,
  /** Release the lock in the same transaction (the editor's "Save and close"). */
  release: z.boolean().optional(),
  opId: opIdSchema.optional(),
});
export type SaveNoteInput = z.infer<typeof saveNoteInput>;

export const restoreNoteInput = z.object({
  noteId: idSchema,
  token: lockTokenSchema,
  version: z.number({ message: 'version: a version number from note.history.' }).int().positive().max(2_147_483_647),
  opId: opIdSchema.optional(),
});
export type RestoreNoteInput = z.infer<typeof restoreNoteInput>;

export const forceUnlockInput = z.object({ noteId: idSchema, opId: opIdSchema.optional() });
export type ForceUnlockInput = z.infer<typeof forceUnlockInput>;

export const deleteNoteInput = z.object({ noteId: idSchema, opId: opIdSchema.optional() });
export type DeleteNoteInput = z.infer<typeof deleteNoteInput>;

export const noteHistoryInput = z.object({
  noteId: idSchema,
  /** Page backwards: only versions below this. */
  before: z.number().int().positive().max(2_147_483_647).optional(),
  limit: z.number().int().min(1).max(NOTE_HISTORY_PAGE_MAX).default(50),
});
export type NoteHistoryInput = z.infer<typeof noteHistoryInput>;
