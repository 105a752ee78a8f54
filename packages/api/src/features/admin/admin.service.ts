import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import type { Kysely } from 'kysely';
import { latestTemplateVersion, type Database } from '@parley/db';
import type { Context, Logger } from '../../context.ts';
import { AppError } from '../../errors.ts';
import * as repo from './admin.repo.ts';
import type { AuditInput } from './admin.schema.ts';
import type { AdminAuditPage, AdminNode, AdminPartition } from './admin.types.ts';

export async function listNodes(ctx: Context): Promise<AdminNode[]> {
  const [nodes, leases] = await Promise.all([repo.listNodes(ctx.db, ctx.config.nodeStaleMs), repo.listLeases(ctx.db)]);
  return nodes.map((n) => ({
    id: n.id,
    status: n.status,
    healthy: n.healthy,
    startedAt: n.started_at,
    heartbeatAt: n.heartbeat_at,
    heartbeatAgeSeconds: Math.max(0, Math.round(n.heartbeat_age_seconds * 10) / 10),
    stoppedAt: n.stopped_at,
    connections: n.connections,
    pid: n.pid,
    version: n.version,
    url: n.url,
    leases: leases.filter((l) => l.valid && l.holder === n.id).map((l) => ({ job: l.job, scope: l.scope, expiresAt: l.expires_at })),
  }));
}

export async function listPartitions(ctx: Context): Promise<AdminPartition[]> {
  const [partitions, leases, latest] = await Promise.all([repo.listPartitions(ctx.db), repo.listLeases(ctx.db), latestTemplateVersion()]);
  const leasesOf = new Map<string, AdminPartition['leases']>();
  for (const l of leases) {
    const list = leasesOf.get(l.scope) ?? [];
    list.push({ job: l.job, holder: l.holder, expiresAt: l.expires_at, valid: l.valid });
    leasesOf.set(l.scope, list);
  }
  return partitions.map((p) => {
    const owner = p.owner ? splitOnce(p.owner) : null;
    return {
      id: p.id,
      name: p.name,
      createdAt: p.created_at,
      createdBy: { id: p.creator_id, username: p.creator_username },
      owner: owner ? { id: owner[0], username: owner[1] } : null,
      members: p.members,
      lastEventId: p.last_event_id,
      templateVersion: p.template_version,
      latestTemplateVersion: latest,
      leases: leasesOf.get(p.id) ?? [],
    };
  });
}

export async function listAudit(ctx: Context, input: AuditInput): Promise<AdminAuditPage> {
  // One more than asked: whether an older page exists, without a count.
  const rows = await repo.listAuditEntries(ctx.db, { before: input.before, limit: input.limit + 1 });
  const page = rows.slice(0, input.limit);
  return {
    entries: page.map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      subject: r.subject,
      details: (r.details ?? {}) as Record<string, unknown>,
    })),
    nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/** Appends to the audit log (the cluster writes its own entries; these are the API's). Pass the transaction to audit a change with it. */
export function recordAudit(
  db: Kysely<Database>,
  entry: { actor: string; action: 'admin.granted' | 'note.force_unlocked'; subject: string; details?: Record<string, unknown> },
): Promise<unknown> {
  return repo.insertAuditEntry(db, entry);
}

/**
 * Makes the users named in `ADMIN_USERNAMES` administrators (run at startup; registration
 * checks the list itself). Only grants: a name removed from the list keeps the flag until
 * revoked in the database, so the first account's grant is never undone by a restart.
 */
export async function grantConfiguredAdmins(deps: { db: Kysely<Database>; log: Logger }, usernames: readonly string[]): Promise<string[]> {
  const granted = await repo.grantAdmin(deps.db, usernames);
  for (const user of granted) {
    await recordAudit(deps.db, { actor: 'system', action: 'admin.granted', subject: user.id, details: { username: user.username, reason: 'ADMIN_USERNAMES' } });
    deps.log.info({ userId: user.id, username: user.username }, 'administrator granted (ADMIN_USERNAMES)');
  }
  return granted.map((u) => u.username);
}

/** How long a setup token printed at startup stays valid. */
export const ADMIN_SETUP_TOKEN_TTL_MS = 24 * 60 * 60_000;

const setupTokenHash = (token: string) => encodeHexLowerCase(sha256(new TextEncoder().encode(token.trim().toLowerCase())));

/**
 * While the server has no administrator: makes a one-time setup token (stored as a hash, valid
 * ADMIN_SETUP_TOKEN_TTL_MS, on every node of the cluster) and returns it for the node to print.
 * Registering with it (`auth.register({ setupToken })`) makes that account the administrator
 * and ends every token. Returns null, and deletes any token left, once an administrator exists.
 *
 * @example
 * ```ts
 * const token = await openAdminSetup({ db, log });
 * if (token) log.warn({}, `open ${url}/?setup=${token} to create the administrator`);
 * ```
 */
export async function openAdminSetup(deps: { db: Kysely<Database> }): Promise<string | null> {
  return deps.db.transaction().execute(async (trx) => {
    await repo.lockAdminSetup(trx);
    if (await repo.anyAdminExists(trx)) {
      await repo.deleteSetupTokens(trx, 'all');
      return null;
    }
    await repo.deleteSetupTokens(trx, 'expired');
    const bytes = new Uint8Array(20);
    crypto.getRandomValues(bytes);
    const token = encodeBase32LowerCaseNoPadding(bytes);
    await repo.insertSetupToken(trx, setupTokenHash(token), ADMIN_SETUP_TOKEN_TTL_MS);
    return token;
  });
}

export const SETUP_TOKEN_REFUSED =
  'That setup token is not valid: it was used already, it expired, or this server has an administrator. A restart prints a new one while there is none.';

/**
 * Inside the registration's transaction: spends `token` or throws FORBIDDEN (nothing is
 * created). Serialized with every other way to become the first administrator.
 */
export async function spendAdminSetupTokenInTx(trx: Kysely<Database>, token: string): Promise<void> {
  await repo.lockAdminSetup(trx);
  if ((await repo.anyAdminExists(trx)) || !(await repo.deleteValidSetupToken(trx, setupTokenHash(token)))) {
    throw new AppError('FORBIDDEN', SETUP_TOKEN_REFUSED);
  }
  await repo.deleteSetupTokens(trx, 'all');
}

function splitOnce(value: string): [string, string] {
  const i = value.indexOf(':');
  return [value.slice(0, i), value.slice(i + 1)];
}
