import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase32UpperCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import { applyPartitionTemplates, parsePartitionId, pgErrorCode, type PartitionId, type Role, type User } from '@parley/db';
import { memberManagementRefusal, REFUSAL } from '@parley/rules';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { appendEvents, publishEvents } from '../event/event.log.ts';
import { createRoomInTx, DEFAULT_ROOM_NAME, deleteAllRoomMemberships, joinRoomInTx } from '../room/room.service.ts';
import { newPartitionIdSchema } from '../../schemas.ts';
import * as repo from './partition.repo.ts';

/** The membership row straight from the database, past the access cache (a stream's re-check after `partition.left`). */
export { findMembership } from './partition.repo.ts';
import type { CreatePartitionInput, JoinPartitionInput, RemoveMemberInput, SetRoleInput } from './partition.schema.ts';

/** Whether the user is, or once was, a member of the workspace (their messages stay after they go). */
export async function isOrWasMember(deps: Pick<Context, 'db'>, partitionId: string, userId: string): Promise<boolean> {
  const [now, past] = await Promise.all([repo.findMembership(deps.db, partitionId, userId), repo.findPastMembership(deps.db, partitionId, userId)]);
  return now !== undefined || past !== undefined;
}

export interface PartitionDto {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
}

/** 15 random bytes as 24 base32 characters, shown in groups of four. */
function generateInviteCode(): string {
  const bytes = new Uint8Array(15);
  crypto.getRandomValues(bytes);
  return encodeBase32UpperCaseNoPadding(bytes).match(/.{4}/g)!.join('-');
}

/** Codes are stored only as hashes; dashes, spaces and case do not matter when typed back. */
export function hashInviteCode(code: string): string {
  const normalized = code.toUpperCase().replace(/[^A-Z2-7]/g, '');
  return encodeHexLowerCase(sha256(new TextEncoder().encode(normalized)));
}

function slugFromName(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 24);
  const suffix = Math.random().toString(36).slice(2, 7);
  const id = `${slug || 'ws'}_${suffix}`.replace(/^_/, '');
  return newPartitionIdSchema.safeParse(id).success ? id : `ws_${suffix}`;
}

/**
 * The user's role in the partition, or null when they are not a member. Kept in the node's
 * access cache for a few seconds (members only: a join is seen at once). Whatever changes a
 * role or ends a membership must call `ctx.access.changed({ kind: 'membership', … })` after
 * its commit, so every node forgets the old role at once.
 */
export async function findMemberRole(deps: Pick<Context, 'db' | 'access'>, partitionId: string, userId: string): Promise<Role | null> {
  const cached = deps.access.role(partitionId, userId);
  if (cached) return cached;
  const epoch = deps.access.epoch;
  const membership = await repo.findMembership(deps.db, partitionId, userId);
  if (!membership) return null;
  deps.access.storeRole(partitionId, userId, membership.role, epoch);
  return membership.role;
}

/**
 * Refuses a workspace over the user's cap (`config.maxWorkspacesPerUser`, the ones they created
 * and that still exist). Parley administrators have none. Runs under a per-user lock, so
 * parallel creations cannot pass it together.
 */
async function assertMayCreatePartition(ctx: Context & { user: User }, trx: Context['db']): Promise<void> {
  if (ctx.user.is_admin) return;
  const max = ctx.config.maxWorkspacesPerUser;
  await repo.lockPartitionCreation(trx, ctx.user.id);
  if ((await repo.countPartitionsCreatedBy(trx, ctx.user.id)) >= max) {
    throw new AppError('FORBIDDEN', `You have created ${max} workspaces, the most one account may on this server. Ask its administrator to raise the limit.`);
  }
}

export async function createPartition(ctx: Context & { user: User }, input: CreatePartitionInput) {
  const partitionId = parsePartitionId(input.id ?? slugFromName(input.name));
  const inviteCode = generateInviteCode();
  try {
    const { partition, events } = await ctx.db.transaction().execute(async (trx) => {
      await assertMayCreatePartition(ctx, trx);
      const partition = await repo.insertPartition(trx, {
        id: partitionId,
        name: input.name,
        created_by: ctx.user.id,
        invite_code_hash: hashInviteCode(inviteCode),
      });
      // The tables are created in the same transaction: a partition exists with all of them or not at all.
      await applyPartitionTemplates(trx, partitionId, 0);
      await repo.insertMembership(trx, partitionId, ctx.user.id, 'owner');
      const room = await createRoomInTx(trx, partitionId, ctx.user, { name: DEFAULT_ROOM_NAME, kind: 'public' });
      const events = await appendEvents(trx, partitionId, [
        { type: 'partition.joined', roomId: null, actorId: ctx.user.id, data: { userId: ctx.user.id, displayName: ctx.user.display_name, role: 'owner' } },
        ...room.events,
      ]);
      return { partition, events };
    });
    publishEvents(ctx, events);
    ctx.log.info({ partitionId, userId: ctx.user.id }, 'partition created');
    const dto: PartitionDto = { id: partition.id, name: partition.name, role: 'owner', createdAt: partition.created_at };
    return { partition: dto, inviteCode };
  } catch (error) {
    if (pgErrorCode(error) === '23505') {
      throw new AppError('CONFLICT', `The workspace id "${partitionId}" is taken; choose another.`, { cause: error });
    }
    throw error;
  }
}

export const REMOVED_CANNOT_REJOIN =
  'You were removed from this workspace, so this invite code does not let you back in. Ask one of its admins for a new code.';

/**
 * Joins by invite code as a member. Someone who was removed cannot come back with the code
 * that existed when they were removed (only with one made after, see `rotateInvite`); someone
 * who left comes back with no more than the role they left with (a viewer stays a viewer).
 */
export async function joinPartition(ctx: Context & { user: User }, input: JoinPartitionInput) {
  const partition = await repo.findPartitionByInviteHash(ctx.db, hashInviteCode(input.inviteCode));
  if (!partition) throw new AppError('NOT_FOUND', 'That invite code is not valid. Ask for a new one.');
  const partitionId = partition.id as PartitionId;
  const existing = await repo.findMembership(ctx.db, partitionId, ctx.user.id);
  if (existing) {
    return { partition: { id: partition.id, name: partition.name, role: existing.role, createdAt: partition.created_at } satisfies PartitionDto };
  }
  const { role, events } = await ctx.db.transaction().execute(async (trx) => {
    const past = await repo.findPastMembership(trx, partitionId, ctx.user.id);
    if (past?.removed_by && past.invite_code_hash === partition.invite_code_hash) {
      throw new AppError('FORBIDDEN', REMOVED_CANNOT_REJOIN);
    }
    // A code makes members; below that only viewer, which a code must not lift.
    const role: Role = past?.role === 'viewer' ? 'viewer' : 'member';
    if (past) await repo.deletePastMembership(trx, partitionId, ctx.user.id);
    await repo.insertMembership(trx, partitionId, ctx.user.id, role);
    const general = await joinRoomInTx(trx, partitionId, ctx.user, { name: DEFAULT_ROOM_NAME });
    const events = await appendEvents(trx, partitionId, [
      { type: 'partition.joined', roomId: null, actorId: ctx.user.id, data: { userId: ctx.user.id, displayName: ctx.user.display_name, role } },
      ...general,
    ]);
    return { role, events };
  });
  publishEvents(ctx, events);
  return { partition: { id: partition.id, name: partition.name, role, createdAt: partition.created_at } satisfies PartitionDto };
}

export async function listPartitions(ctx: Context & { user: User }): Promise<PartitionDto[]> {
  const rows = await repo.listPartitionsOfUser(ctx.db, ctx.user.id);
  return rows.map((r) => ({ id: r.id, name: r.name, role: r.role, createdAt: r.created_at }));
}

export async function rotateInvite(ctx: Context & { partitionId: PartitionId }) {
  const inviteCode = generateInviteCode();
  await repo.updateInviteHash(ctx.db, ctx.partitionId, hashInviteCode(inviteCode));
  return { inviteCode };
}

export async function listMembers(ctx: Context & { partitionId: PartitionId }) {
  const rows = await repo.listMembers(ctx.db, ctx.partitionId);
  return rows.map((r) => ({ userId: r.id, username: r.username, displayName: r.display_name, role: r.role, joinedAt: r.joined_at }));
}

type Managing = Context & { user: User; partitionId: PartitionId; role: Role };

export const NOT_A_MEMBER = REFUSAL.notAMember;

/** Who may change whose role or remove whom: `memberManagementRefusal` (`@parley/rules`, the SPA asks it too). */
function assertMayManage(ctx: Managing, target: { userId: string; role: Role }, what: 'role' | 'remove', newRole?: Role): void {
  const refusal = memberManagementRefusal({ id: ctx.user.id, role: ctx.role }, target, what, newRole);
  if (refusal) throw new AppError('FORBIDDEN', refusal);
}

/** Gives a member another role. The change is an event of the workspace; every node forgets the old role at once. */
export async function setMemberRole(ctx: Managing, input: SetRoleInput): Promise<{ userId: string; role: Role; changed: boolean }> {
  const events = await ctx.db.transaction().execute(async (trx) => {
    const target = await repo.findMembershipForUpdate(trx, ctx.partitionId, input.userId);
    if (!target) throw new AppError('NOT_FOUND', NOT_A_MEMBER);
    assertMayManage(ctx, { userId: input.userId, role: target.role }, 'role', input.role);
    if (target.role === input.role) return [];
    await repo.updateMembershipRole(trx, ctx.partitionId, input.userId, input.role);
    return appendEvents(trx, ctx.partitionId, [
      {
        type: 'partition.role_changed',
        roomId: null,
        actorId: ctx.user.id,
        data: { userId: input.userId, role: input.role, previousRole: target.role },
      },
    ]);
  });
  if (events.length > 0) {
    await ctx.access.changed({ kind: 'membership', userId: input.userId, partitionId: ctx.partitionId });
    publishEvents(ctx, events);
    ctx.log.info({ partitionId: ctx.partitionId, userId: input.userId, role: input.role, by: ctx.user.id }, 'member role changed');
  }
  return { userId: input.userId, role: input.role, changed: events.length > 0 };
}

/**
 * Ends a membership: out of every room (`member.left` each), then `partition.left`. Their
 * messages stay; their open streams end after that event, on every node.
 */
async function endMembership(ctx: Managing, userId: string, removedBy: string | null): Promise<void> {
  const events = await ctx.db.transaction().execute(async (trx) => {
    const target = await repo.findMembershipForUpdate(trx, ctx.partitionId, userId);
    if (!target) throw new AppError('NOT_FOUND', NOT_A_MEMBER);
    if (removedBy) assertMayManage(ctx, { userId, role: target.role }, 'remove');
    else if (target.role === 'owner') throw new AppError('FORBIDDEN', REFUSAL.ownerCannotLeave);
    const rooms = await deleteAllRoomMemberships(trx, ctx.partitionId, userId);
    await repo.deleteMembership(trx, ctx.partitionId, userId);
    // What an invite code may give back (see joinPartition); a removal also bars the code of the moment.
    const inviteCodeHash = removedBy ? ((await repo.findPartition(trx, ctx.partitionId))?.invite_code_hash ?? null) : null;
    await repo.upsertPastMembership(trx, {
      partition_id: ctx.partitionId,
      user_id: userId,
      role: target.role,
      removed_by: removedBy,
      invite_code_hash: inviteCodeHash,
    });
    return appendEvents(trx, ctx.partitionId, [
      ...rooms.map((roomId) => ({ type: 'member.left' as const, roomId, actorId: ctx.user.id, data: { roomId, userId } })),
      { type: 'partition.left', roomId: null, actorId: ctx.user.id, data: { userId, removedBy } },
    ]);
  });
  await ctx.access.changed({ kind: 'membership', userId, partitionId: ctx.partitionId });
  publishEvents(ctx, events);
  ctx.log.info({ partitionId: ctx.partitionId, userId, removedBy }, removedBy ? 'member removed' : 'member left');
}

export async function removeMember(ctx: Managing, input: RemoveMemberInput): Promise<{ removed: true }> {
  await endMembership(ctx, input.userId, ctx.user.id);
  return { removed: true };
}

export async function leavePartition(ctx: Managing): Promise<{ left: true }> {
  await endMembership(ctx, ctx.user.id, null);
  return { left: true };
}

/** The workspace members among `userIds` (id, display name, role); those not in it are left out. */
export function findMembers(deps: Pick<Context, 'db'>, partitionId: PartitionId, userIds: readonly string[]) {
  return repo.listMembersByIds(deps.db, partitionId, userIds);
}
