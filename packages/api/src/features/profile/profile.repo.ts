import type { Kysely } from 'kysely';
import { pt, type Database, type PartitionId } from '@parley/db';

const PROFILE_COLUMNS = ['users.id', 'users.display_name', 'users.status', 'users.avatar_id'] as const;

export function findAvatarOwner(db: Kysely<Database>, avatarId: string) {
  return db.selectFrom('avatars').select('user_id').where('id', '=', avatarId).executeTakeFirst();
}

export function updateUserProfile(db: Kysely<Database>, userId: string, patch: { display_name?: string; status?: string; avatar_id?: string | null }) {
  return db.updateTable('users').set(patch).where('id', '=', userId).executeTakeFirstOrThrow();
}

export function findProfile(db: Kysely<Database>, userId: string) {
  return db.selectFrom('users').select(PROFILE_COLUMNS).where('users.id', '=', userId).executeTakeFirstOrThrow();
}

/** The workspaces the user is a member of, oldest membership first. */
export async function listPartitionIdsOfUser(db: Kysely<Database>, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('memberships').select('partition_id').where('user_id', '=', userId).orderBy('joined_at').execute();
  return rows.map((r) => r.partition_id);
}

export async function isMember(db: Kysely<Database>, partitionId: string, userId: string): Promise<boolean> {
  const row = await db.selectFrom('memberships').select('user_id').where('partition_id', '=', partitionId).where('user_id', '=', userId).executeTakeFirst();
  return Boolean(row);
}

/** Every member's profile, in the order they joined. */
export function listMemberProfiles(db: Kysely<Database>, partitionId: string) {
  return db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(PROFILE_COLUMNS)
    .where('memberships.partition_id', '=', partitionId)
    .orderBy('memberships.joined_at')
    .execute();
}

/**
 * Whether this user's op already committed in the workspace. Read before `commitChange` (which
 * checks again in its transaction) so a retry does not spend the change limit on workspaces
 * already told: otherwise someone in more workspaces than the limit could never finish.
 */
export async function isOpDone(db: Kysely<Database>, partitionId: PartitionId, opId: string, userId: string): Promise<boolean> {
  const row = await db.selectFrom(pt(partitionId, 'ops')).select('op_id').where('op_id', '=', opId).where('user_id', '=', userId).executeTakeFirst();
  return Boolean(row);
}
