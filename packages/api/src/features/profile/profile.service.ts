import type { PartitionId, User } from '@parley/db';
import { PROFILE_REFUSAL } from '@parley/rules';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { commitChange } from '../event/event.commit.ts';
import * as repo from './profile.repo.ts';
import type { UpdateProfileInput } from './profile.schema.ts';
import type { ProfileDto } from './profile.types.ts';

type Authed = Context & { user: User };

function toProfileDto(row: { id: string; display_name: string; status: string; avatar_id: string | null }): ProfileDto {
  return { userId: row.id, displayName: row.display_name, status: row.status, avatarId: row.avatar_id };
}

/**
 * Changes the caller's profile and tells every workspace they are in (`profile.updated`, a
 * workspace-wide event: every member's stream gets it live, and a resume replays it).
 *
 * A profile is global, each workspace has its own log: there is no one transaction for all of
 * it. So the users row is written first (setting values: repeating it is harmless), then each
 * workspace's event is committed on its own, claimed by the same `opId` in that workspace's op
 * table. A retry after a failure part-way (a node crash, the rate limit) writes the row again
 * and appends the events still missing, never one twice (workspaces already told are skipped
 * before the change limit is counted, so a retry always gets further). Each event carries the profile as it
 * is when that event commits, so the last event of a workspace never says less than the row.
 */
export async function updateProfile(ctx: Authed, input: UpdateProfileInput): Promise<ProfileDto> {
  if (input.avatarId) {
    const avatar = await repo.findAvatarOwner(ctx.db, input.avatarId);
    if (avatar?.user_id !== ctx.user.id) throw new AppError('NOT_FOUND', PROFILE_REFUSAL.noSuchAvatar);
  }
  const patch: { display_name?: string; status?: string; avatar_id?: string | null } = {};
  if (input.displayName !== undefined) patch.display_name = input.displayName;
  if (input.status !== undefined) patch.status = input.status;
  if (input.avatarId !== undefined) patch.avatar_id = input.avatarId;
  await repo.updateUserProfile(ctx.db, ctx.user.id, patch);
  // Every node drops the session user it cached: the next message carries the new name.
  await ctx.access.changed({ kind: 'user', userId: ctx.user.id });
  for (const id of await repo.listPartitionIdsOfUser(ctx.db, ctx.user.id)) {
    const partitionId = id as PartitionId;
    if (await repo.isOpDone(ctx.db, partitionId, input.opId, ctx.user.id)) continue;
    await commitChange<ProfileDto>({ ...ctx, partitionId }, { opId: input.opId, kind: 'profile.update' }, async (trx) => {
      const current = toProfileDto(await repo.findProfile(trx, ctx.user.id));
      // Left the workspace meanwhile: its members are told nothing more.
      if (!(await repo.isMember(trx, partitionId, ctx.user.id))) return { result: current, events: [] };
      return { result: current, events: [{ type: 'profile.updated', roomId: null, actorId: ctx.user.id, data: current }] };
    });
  }
  return toProfileDto(await repo.findProfile(ctx.db, ctx.user.id));
}

/** The caller's own profile. */
export async function myProfile(ctx: Authed): Promise<ProfileDto> {
  return toProfileDto(await repo.findProfile(ctx.db, ctx.user.id));
}

/** Every member's profile in the workspace: the client loads it once, then follows `profile.updated`. */
export async function listProfiles(ctx: Context & { partitionId: PartitionId }): Promise<ProfileDto[]> {
  return (await repo.listMemberProfiles(ctx.db, ctx.partitionId)).map(toProfileDto);
}
