import { sql, type Kysely } from 'kysely';
import type { Database, Role } from '@parley/db';

export function findMembership(db: Kysely<Database>, partitionId: string, userId: string) {
  return db.selectFrom('memberships').selectAll().where('partition_id', '=', partitionId).where('user_id', '=', userId).executeTakeFirst();
}

export function findPartition(db: Kysely<Database>, partitionId: string) {
  return db.selectFrom('partitions').selectAll().where('id', '=', partitionId).executeTakeFirst();
}

export function findPartitionByInviteHash(db: Kysely<Database>, inviteCodeHash: string) {
  return db.selectFrom('partitions').selectAll().where('invite_code_hash', '=', inviteCodeHash).executeTakeFirst();
}

export function insertPartition(db: Kysely<Database>, values: { id: string; name: string; created_by: string; invite_code_hash: string }) {
  return db.insertInto('partitions').values(values).returningAll().executeTakeFirstOrThrow();
}

export function insertMembership(db: Kysely<Database>, partitionId: string, userId: string, role: Role) {
  return db.insertInto('memberships').values({ partition_id: partitionId, user_id: userId, role }).returningAll().executeTakeFirstOrThrow();
}

export function updateInviteHash(db: Kysely<Database>, partitionId: string, inviteCodeHash: string) {
  return db.updateTable('partitions').set({ invite_code_hash: inviteCodeHash }).where('id', '=', partitionId).execute();
}

export function listPartitionsOfUser(db: Kysely<Database>, userId: string) {
  return db
    .selectFrom('memberships')
    .innerJoin('partitions', 'partitions.id', 'memberships.partition_id')
    .select(['partitions.id', 'partitions.name', 'partitions.created_at', 'memberships.role', 'memberships.joined_at'])
    .where('memberships.user_id', '=', userId)
    .orderBy('memberships.joined_at')
    .execute();
}

export function listMembers(db: Kysely<Database>, partitionId: string) {
  return db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id', 'users.username', 'users.display_name', 'memberships.role', 'memberships.joined_at'])
    .where('memberships.partition_id', '=', partitionId)
    .orderBy('memberships.joined_at')
    .execute();
}

/** Locks the membership row for the rest of the transaction (a role change or a removal decides on it). */
export function findMembershipForUpdate(db: Kysely<Database>, partitionId: string, userId: string) {
  return db.selectFrom('memberships').select('role').where('partition_id', '=', partitionId).where('user_id', '=', userId).forUpdate().executeTakeFirst();
}

export function updateMembershipRole(db: Kysely<Database>, partitionId: string, userId: string, role: Role) {
  return db.updateTable('memberships').set({ role }).where('partition_id', '=', partitionId).where('user_id', '=', userId).execute();
}

export function deleteMembership(db: Kysely<Database>, partitionId: string, userId: string) {
  return db.deleteFrom('memberships').where('partition_id', '=', partitionId).where('user_id', '=', userId).execute();
}

/** The members among `userIds`, with their names (the others are not in the workspace). */
export function listMembersByIds(db: Kysely<Database>, partitionId: string, userIds: readonly string[]) {
  if (userIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id', 'users.display_name', 'memberships.role'])
    .where('memberships.partition_id', '=', partitionId)
    .where('memberships.user_id', 'in', userIds)
    .execute();
}

/** How many workspaces the user created (and that still exist). */
export async function countPartitionsCreatedBy(db: Kysely<Database>, userId: string): Promise<number> {
  const row = await db
    .selectFrom('partitions')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('created_by', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Serializes one user's workspace creations until the transaction ends (the cap is checked under it). */
export async function lockPartitionCreation(trx: Kysely<Database>, userId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`parley:create-partition:${userId}`}))`.execute(trx);
}

export function findPastMembership(db: Kysely<Database>, partitionId: string, userId: string) {
  return db.selectFrom('past_memberships').selectAll().where('partition_id', '=', partitionId).where('user_id', '=', userId).executeTakeFirst();
}

/** Remembers the membership that ended (the last one wins). */
export function upsertPastMembership(
  db: Kysely<Database>,
  values: { partition_id: string; user_id: string; role: Role; removed_by: string | null; invite_code_hash: string | null },
) {
  return db
    .insertInto('past_memberships')
    .values(values)
    .onConflict((oc) =>
      oc.columns(['partition_id', 'user_id']).doUpdateSet({
        role: values.role,
        removed_by: values.removed_by,
        invite_code_hash: values.invite_code_hash,
        ended_at: sql`now()`,
      }),
    )
    .execute();
}

export function deletePastMembership(db: Kysely<Database>, partitionId: string, userId: string) {
  return db.deleteFrom('past_memberships').where('partition_id', '=', partitionId).where('user_id', '=', userId).execute();
}
