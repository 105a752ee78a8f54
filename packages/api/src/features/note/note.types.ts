import type { NoteLockInfo, NoteUnlockReason } from '@parley/rules';

export type { NoteLockInfo, NoteUnlockReason } from '@parley/rules';

/** A note as `note.list` shows it: no body. `lock` is the live lock (unexpired, its session valid), else null. */
export interface NoteSummaryDto {
  id: string;
  partitionId: string;
  title: string;
  /** 1 at creation, one more at every save or restore. */
  version: number;
  createdBy: string;
  createdAt: string;
  updatedBy: string;
  updatedByName: string;
  updatedAt: string;
  lock: NoteLockInfo | null;
}

/** A note with its text (`note.get`, `note.create`, `note.save`, `note.restore`). */
export interface NoteDto extends NoteSummaryDto {
  body: string;
}

/** One saved state of a note (`note.history`). */
export interface NoteVersionDto {
  noteId: string;
  version: number;
  title: string;
  body: string;
  savedBy: string;
  savedByName: string;
  savedAt: string;
}

export interface NoteHistoryPage {
  /** Newest first. */
  versions: NoteVersionDto[];
  /** Pass as `before` for the next (older) page; null when this page reaches version 1. */
  nextBefore: number | null;
}

/** `note.lock`: the fencing token every save, renewal and release must present, and the expiry (database clock). */
export interface NoteLockGrant {
  noteId: string;
  token: number;
  expiresAt: string;
}

/** What `note.saved` says (the note's new state); `restoredFrom` when it was a restore of that version. */
export interface NoteSavedData {
  id: string;
  title: string;
  body: string;
  version: number;
  savedBy: string;
  savedByName: string;
  savedAt: string;
  restoredFrom?: number | undefined;
}

/** `note.locked` (taken) and `note.renewed` (the holder moved the expiry). */
export interface NoteLockData extends NoteLockInfo {
  noteId: string;
}

/** `note.unlocked`: whose lock ended, why, and who ended it (null: the sweep). */
export interface NoteUnlockedData {
  noteId: string;
  holderId: string;
  reason: NoteUnlockReason;
  by: string | null;
}
