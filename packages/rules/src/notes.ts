/** A note's title, after trimming. @example `<input maxLength={NOTE_TITLE_MAX_CHARS} />` */
export const NOTE_TITLE_MAX_CHARS = 200;
/** A note's body (not trimmed: whitespace is the writer's). @example `body.length <= NOTE_BODY_MAX_CHARS` */
export const NOTE_BODY_MAX_CHARS = 100_000;

/**
 * How long a note's lock lives after it is taken or renewed, on the database clock (seed 001:
 * 5 minutes). The server's default; a deployment may change it (NOTE_LOCK_SECONDS) and
 * `note.lock` / `note.renew` answer the actual `expiresAt`.
 * @example `const expiresIn = Date.parse(lock.expiresAt) - Date.now();`
 */
export const NOTE_LOCK_MS = 5 * 60_000;
/**
 * How often an open editor renews its lock (seed 001: every 2 minutes), well inside
 * {@link NOTE_LOCK_MS}, so an active editor never loses it.
 * @example `setInterval(() => renew(), NOTE_LOCK_RENEW_MS)`
 */
export const NOTE_LOCK_RENEW_MS = 2 * 60_000;
/**
 * How often one node clears expired locks and locks of ended sessions (seed 001: every 30 s;
 * NOTE_LOCK_SWEEP_SECONDS): a lock nobody renews is free for everyone within this of expiring.
 * @example `NOTE_LOCK_MS + NOTE_LOCK_SWEEP_MS` // the longest an abandoned lock is shown
 */
export const NOTE_LOCK_SWEEP_MS = 30_000;
/** Versions per page of `note.history` at most. @example `limit <= NOTE_HISTORY_PAGE_MAX` */
export const NOTE_HISTORY_PAGE_MAX = 100;

/**
 * Who holds a note's lock and until when (ISO-8601, database clock): `note.get`'s `lock`, and
 * `error.data.lock` of a refused `note.lock` (CONFLICT) or of a save whose lock was taken.
 * @example `if (error.data?.lock) show(`${error.data.lock.holder.displayName} is editing`)`
 */
export interface NoteLockInfo {
  holder: { userId: string; displayName: string };
  expiresAt: string;
}

/** Why a lock ended (`note.unlocked`'s `reason`). @example `if (event.data.reason === 'forced') toast('An admin unlocked the note')` */
export type NoteUnlockReason = 'released' | 'expired' | 'forced' | 'session-ended';

/** `14:05 UTC` from an ISO-8601 string or epoch milliseconds. */
function clockTime(at: string | number): string {
  return `${new Date(at).toISOString().slice(11, 16)} UTC`;
}

/**
 * The refusal of `note.lock` while someone else holds the lock (CONFLICT; `error.data.lock` has
 * the holder and `expiresAt` for the client to show in the reader's own time zone).
 * @example `noteLockedBy('Ada', '2025-01-02T14:05:00.000Z'); // 'Ada is editing this note until 14:05 UTC.'`
 */
export function noteLockedBy(displayName: string, expiresAt: string | number): string {
  return `${displayName} is editing this note until ${clockTime(expiresAt)}.`;
}

/** Why a lock the caller presented no longer holds (see {@link noteLockLost}). */
export type NoteLockLoss =
  | { kind: 'taken'; displayName: string; expiresAt: string | number }
  | { kind: 'expired'; expiresAt: string | number }
  | { kind: 'replaced' }
  | { kind: 'session-ended' }
  | { kind: 'released' }
  | { kind: 'never' };

/**
 * The refusal of `note.save`, `note.restore`, `note.renew` and `note.unlock` when the caller does
 * not hold the note's lock with that token (PRECONDITION_FAILED): nothing was written.
 * @example `noteLockLost({ kind: 'expired', expiresAt }, 'save'); // 'Your lock on this note was lost (it expired at 14:05 UTC); your text was not saved.'`
 */
export function noteLockLost(loss: NoteLockLoss, action: 'save' | 'renew' | 'unlock'): string {
  const what = action === 'save' ? 'your text was not saved' : action === 'renew' ? 'lock it again to go on editing' : 'there was nothing of yours to release';
  return `Your lock on this note was lost (${lossReason(loss)}); ${what}.`;
}

function lossReason(loss: NoteLockLoss): string {
  switch (loss.kind) {
    case 'taken':
      return `${loss.displayName} is editing it now, until ${clockTime(loss.expiresAt)}`;
    case 'expired':
      return `it expired at ${clockTime(loss.expiresAt)}`;
    case 'replaced':
      return 'you locked it again in another window or tab';
    case 'session-ended':
      return 'the session that took it ended';
    case 'released':
      return 'it was released or force-unlocked';
    case 'never':
      return 'you never held it';
  }
}
