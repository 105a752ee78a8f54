/** The earliest a renewal is scheduled, so a clock far ahead of the database's cannot make a busy loop. */
export const MIN_RENEW_DELAY_MS = 500;
/** How long typing waits between the renewals it causes (besides the schedule). */
export const TYPING_RENEW_MS = 30_000;

/**
 * When to renew a held lock: every `renewEveryMs` (seed 001: 2 minutes), but never later than
 * half of the time left to `expiresAt` (the lock's length is the server's setting; a renewal
 * that fails then still has the other half to be retried), and not sooner than
 * {@link MIN_RENEW_DELAY_MS}.
 * @example `renewDelayMs(Date.parse(grant.expiresAt), Date.now(), NOTE_LOCK_RENEW_MS)`
 */
export function renewDelayMs(expiresAtMs: number, nowMs: number, renewEveryMs: number): number {
  const half = Math.floor((expiresAtMs - nowMs) / 2);
  return Math.max(MIN_RENEW_DELAY_MS, Math.min(renewEveryMs, half));
}

/**
 * The wait before retrying a call that failed for a network reason (no answer): quick
 * (250 ms doubling, at most 2 s), and never past a quarter of the time left, so a lock whose
 * renewal keeps failing is retried several times before `expiresAt`.
 */
export function networkRetryDelayMs(attempt: number, remainingMs: number): number {
  return Math.max(100, Math.min(250 * 2 ** attempt, 2000, Math.floor(remainingMs / 4)));
}
