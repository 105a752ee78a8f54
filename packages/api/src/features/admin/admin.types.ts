import type { NodeStatus } from '@parley/db';

/** A node as the admin view shows it; ages come from the database clock. */
export interface AdminNode {
  id: string;
  status: NodeStatus;
  /** `active` with a heartbeat younger than the cluster's stale limit (15 s). */
  healthy: boolean;
  startedAt: string;
  heartbeatAt: string;
  heartbeatAgeSeconds: number;
  stoppedAt: string | null;
  connections: number;
  pid: number | null;
  version: string | null;
  url: string | null;
  /** The leases it holds now (unexpired). */
  leases: { job: string; scope: string; expiresAt: string }[];
}

export interface AdminPartition {
  id: string;
  name: string;
  createdAt: string;
  createdBy: { id: string; username: string };
  /** The first owner by join date (ownership can change hands, creation cannot). */
  owner: { id: string; username: string } | null;
  members: number;
  lastEventId: number;
  templateVersion: number;
  latestTemplateVersion: number;
  /** The node that runs each partition-scoped job here; `valid` false once it lapsed. */
  leases: { job: string; holder: string | null; expiresAt: string; valid: boolean }[];
}

export interface AdminAuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  details: Record<string, unknown>;
}

export interface AdminAuditPage {
  entries: AdminAuditEntry[];
  /** Pass as `before` for the next (older) page; null on the last one. */
  nextCursor: number | null;
}
