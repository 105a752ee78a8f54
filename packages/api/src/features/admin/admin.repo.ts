import { sql, type Kysely } from 'kysely';
import type { Database } from '@parley/db';

/** Enough for any real cluster; node rows of past lives (generated ids) come last and fall off. */
const NODES_SHOWN = 200;
const PARTITIONS_SHOWN = 500;

const msAgo = (ms: number) => sql<string>`now() - ${ms} * interval '1 millisecond'`;

export function listNodes(db: Kysely<Database>, staleMs: number) {
  return db
    .selectFrom('nodes')
    .select([
      'id',
      'status',
      'started_at',
      'heartbeat_at',
      'stopped_at',
      'connections',
      'pid',
      'version',
      'url',
      sql<number>`extract(epoch from now() - heartbeat_at)::float8`.as('heartbeat_age_seconds'),
      sql<boolean>`status = 'active' and heartbeat_at > ${msAgo(staleMs)}`.as('healthy'),
    ])
    .orderBy(sql`case status when 'active' then 0 when 'draining' then 1 else 2 end`)
    .orderBy('heartbeat_at', 'desc')
    .orderBy('id')
    .limit(NODES_SHOWN)
    .execute();
}

export function listLeases(db: Kysely<Database>) {
  return db
    .selectFrom('leases')
    .select(['job', 'scope', 'holder', 'expires_at', sql<boolean>`holder is not null and expires_at > now()`.as('valid')])
    .orderBy('job')
    .orderBy('scope')
    .execute();
}

export function listPartitions(db: Kysely<Database>) {
  return db
    .selectFrom('partitions as p')
    .innerJoin('users as creator', 'creator.id', 'p.created_by')
    .leftJoin(
      (eb) =>
        eb
          .selectFrom('memberships')
          .select(['partition_id', sql<number>`count(*)::int`.as('members')])
          .groupBy('partition_id')
          .as('m'),
      (join) => join.onRef('m.partition_id', '=', 'p.id'),
    )
    .select([
      'p.id',
      'p.name',
      'p.created_at',
      'p.last_event_id',
      'p.template_version',
      'creator.id as creator_id',
      'creator.username as creator_username',
      sql<number>`coalesce(m.members, 0)`.as('members'),
      (eb) =>
        eb
          .selectFrom('memberships as o')
          .innerJoin('users as ou', 'ou.id', 'o.user_id')
          .select(sql<string>`ou.id || ':' || ou.username`.as('owner'))
          .whereRef('o.partition_id', '=', 'p.id')
          .where('o.role', '=', 'owner')
          .orderBy('o.joined_at')
          .limit(1)
          .as('owner'),
    ])
    .orderBy('p.created_at')
    .orderBy('p.id')
    .limit(PARTITIONS_SHOWN)
    .execute();
}

export function listAuditEntries(db: Kysely<Database>, opts: { before?: number | undefined; limit: number }) {
  let query = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(opts.limit);
  if (opts.before !== undefined) query = query.where('id', '<', opts.before);
  return query.execute();
}

export function insertAuditEntry(
  db: Kysely<Database>,
  entry: { actor: string; action: string; subject: string; details?: Record<string, unknown> | undefined },
) {
  return db
    .insertInto('audit_log')
    .values({ actor: entry.actor, action: entry.action, subject: entry.subject, details: JSON.stringify(entry.details ?? {}) })
    .execute();
}

/** Grants the flag to the named users who lack it; returns who got it. */
export function grantAdmin(db: Kysely<Database>, usernames: readonly string[]) {
  if (usernames.length === 0) return Promise.resolve([]);
  return db
    .updateTable('users')
    .set({ is_admin: true })
    .where(
      sql`lower(username)`,
      'in',
      usernames.map((u) => u.toLowerCase()),
    )
    .where('is_admin', '=', false)
    .returning(['id', 'username'])
    .execute();
}

export async function anyAdminExists(db: Kysely<Database>): Promise<boolean> {
  return (await db.selectFrom('users').select('id').where('is_admin', '=', true).limit(1).executeTakeFirst()) !== undefined;
}

export function insertSetupToken(db: Kysely<Database>, tokenHash: string, ttlMs: number) {
  return db
    .insertInto('admin_setup_tokens')
    .values({ token_hash: tokenHash, expires_at: sql<string>`now() + ${ttlMs} * interval '1 millisecond'` })
    .execute();
}

/** Deletes the token if it exists and has not expired; true when it did. */
export async function deleteValidSetupToken(db: Kysely<Database>, tokenHash: string): Promise<boolean> {
  const row = await db
    .deleteFrom('admin_setup_tokens')
    .where('token_hash', '=', tokenHash)
    .where('expires_at', '>', sql<string>`now()`)
    .returning('token_hash')
    .executeTakeFirst();
  return row !== undefined;
}

/** All of them (an administrator exists), or only the expired ones. */
export function deleteSetupTokens(db: Kysely<Database>, which: 'all' | 'expired') {
  const query = db.deleteFrom('admin_setup_tokens');
  return (which === 'all' ? query : query.where('expires_at', '<=', sql<string>`now()`)).execute();
}

/**
 * Serializes everything that decides who becomes the first administrator (a first account, a
 * setup token) until the transaction ends.
 */
export async function lockAdminSetup(trx: Kysely<Database>): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('parley:first-account'))`.execute(trx);
}
