import type { NoteLockInfo } from '@parley/client';

/** `4:12` for 252 s; never negative; rounds up (a lock with 0.4 s left still shows `0:01`). */
export function formatCountdown(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/**
 * Who holds a note's lock, as a reader sees it: "Ada is editing · lock expires in 4:12"; null
 * when nobody does, or the lock has run out (the sweep clears it soon; anyone may take it now).
 */
export function lockText(lock: NoteLockInfo | null, meId: string, now: number): string | null {
  if (!lock) return null;
  const left = Date.parse(lock.expiresAt) - now;
  if (!(left > 0)) return null;
  const who = lock.holder.userId === meId ? 'You are editing it in another window' : `${lock.holder.displayName} is editing`;
  return `${who} · lock expires in ${formatCountdown(left)}`;
}

/** The lock if it is someone else's (or mine elsewhere) and still running, else null. */
export function liveLock(lock: NoteLockInfo | null, now: number): NoteLockInfo | null {
  return lock && Date.parse(lock.expiresAt) > now ? lock : null;
}
