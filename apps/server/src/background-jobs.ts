import type { Kysely } from 'kysely';
import { deleteExpiredSessions, sweepNoteLocks, type ApiDeps, type Logger } from '@parley/api';
import { pruneNodes, type BackgroundJob } from '@parley/cluster';
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

/** How long a node may be silent before its row is deleted (its audit entries stay). */
export const NODE_PRUNE_AFTER_MS = 7 * 24 * 60 * 60_000;
const NODE_PRUNE_EVERY_MS = 60 * 60_000;

/** Forgets nodes gone for a week (a new id at every start piles rows up), on one node at a time. */
export function nodePruneJob(db: Kysely<Database>, log: Logger, nodeId: string): BackgroundJob {
  return {
    name: 'node-prune',
    scope: 'global',
    intervalMs: NODE_PRUNE_EVERY_MS,
    async run(_scope, signal) {
      if (signal.aborted) return;
      const pruned = await pruneNodes(db, NODE_PRUNE_AFTER_MS, nodeId);
      if (pruned.length > 0) log.info({ pruned }, 'nodes silent for a week forgotten');
    },
  };
}

/**
 * Seed 001's lock sweep, one lease per workspace (so exactly one node sweeps each): every
 * `config.noteLockSweepMs` (NOTE_LOCK_SWEEP_SECONDS, 30 s) it clears the workspace's expired
 * locks and those whose session ended, each with its `note.unlocked` event. A node restart
 * releases nothing by itself: locks are rows, and only their expiry or an ended session frees them.
 */
export function noteLockSweepJob(deps: Pick<ApiDeps, 'db' | 'bus' | 'feeds' | 'log' | 'config'>): BackgroundJob {
  return {
    name: 'note-lock-sweep',
    scope: 'partition',
    intervalMs: deps.config.noteLockSweepMs,
    async run(partitionId, signal) {
      if (signal.aborted) return;
      const cleared = await sweepNoteLocks(deps, partitionId);
      if (cleared > 0) deps.log.info({ partitionId, cleared }, 'expired note locks cleared');
    },
  };
}
