import type { Kysely } from 'kysely';
import type { Database } from '@parley/db';

/** What the cluster writes to `audit_log` (the API adds its own, e.g. `admin.granted`). */
export type ClusterAuditAction =
  'node.registered' | 'node.draining' | 'node.inactive' | 'node.pruned' | 'lease.acquired' | 'lease.taken_over' | 'lease.released';

export interface AuditEntry {
  /** Who did it: a node id, a user id, or `system`. */
  actor: string;
  action: ClusterAuditAction;
  /** What it was done to: a node id, or `job/scope` for a lease. */
  subject: string;
  details?: Record<string, unknown>;
}

/** Appends entries to `audit_log`; `at` is the database's `now()`. Pass a transaction to make them atomic with a change. */
export async function writeAudit(db: Kysely<Database>, entries: AuditEntry | AuditEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) return;
  await db
    .insertInto('audit_log')
    .values(list.map((e) => ({ actor: e.actor, action: e.action, subject: e.subject, details: JSON.stringify(e.details ?? {}) })))
    .execute();
}

/** The audit subject of a lease: `session-sweep/global`, `presence-sweep/acme`. */
export const leaseSubject = (job: string, scope: string) => `${job}/${scope}`;
