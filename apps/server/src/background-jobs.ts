import type { Kysely } from 'kysely';
import { deleteExpiredSessions, type Logger } from '@parley/api';
import type { BackgroundJob } from '@parley/cluster';
import type { Database } from '@parley/db';

/** Expired sessions are refused when used anyway; the sweep only keeps the table small. */
export const SESSION_SWEEP_MS = 10 * 60_000;

/** Deletes expired sessions, on one node of the cluster at a time. */
export function sessionSweepJob(db: Kysely<Database>, log: Logger): BackgroundJob {
  return {
    name: 'session-sweep',
    scope: 'global',
    intervalMs: SESSION_SWEEP_MS,
    async run(_scope, signal) {
      if (signal.aborted) return;
      const deleted = await deleteExpiredSessions(db);
      if (deleted > 0) log.info({ deleted }, 'expired sessions deleted');
    },
  };
}
