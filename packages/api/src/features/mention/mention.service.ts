import type { Role } from '@parley/db';
import {
  canManageRoom,
  MENTION_ROOM,
  MENTIONS_PER_MESSAGE,
  mayMentionRoom,
  mentionNotMember,
  parseMentions,
  roomMentionRefused,
  TOO_MANY_MENTIONS,
} from '@parley/rules';
import { AppError } from '../../errors.ts';
import { findMembers } from '../partition/partition.service.ts';
import type { InPartition } from '../room/room.service.ts';
import { findMentionable } from './mention.repo.ts';

/**
 * The mentions of a body the author may make in this room, for `messages.mentions`: every
 * `<@id>` must be a member of the room (BAD_REQUEST naming the first who is not), and `@room`
 * needs a room admin (or a workspace owner or admin) or a room of at most
 * `config.roomMentionMaxMembers` people. No query when the body mentions nobody.
 *
 * `alreadyMade` (an edit: the mentions the text had before) are accepted as they are, so an
 * edit is not refused because someone mentioned earlier has since left.
 *
 * An author who is not in the room is not refused here: the send path answers that in its
 * own words (NOT_FOUND or FORBIDDEN), so the mentions are returned unchecked.
 */
export async function resolveMentions(
  ctx: InPartition & { role?: Role | undefined },
  roomId: string,
  body: string,
  alreadyMade: readonly string[] = [],
): Promise<string[]> {
  const mentions = parseMentions(body);
  const toCheck = mentions.filter((m) => !alreadyMade.includes(m));
  if (toCheck.length === 0) return mentions;
  const people = toCheck.filter((m) => m !== MENTION_ROOM);
  if (people.length > MENTIONS_PER_MESSAGE) throw new AppError('BAD_REQUEST', TOO_MANY_MENTIONS);
  const room = toCheck.includes(MENTION_ROOM);
  const found = await findMentionable(ctx.db, ctx.partitionId, roomId, [ctx.user.id, ...people], room);
  const myRole = found.roles.get(ctx.user.id);
  if (!myRole) return mentions;
  const missing = people.find((id) => !found.roles.has(id));
  if (missing) {
    const [who] = await findMembers(ctx, ctx.partitionId, [missing]);
    throw new AppError('BAD_REQUEST', mentionNotMember(who?.display_name ?? null));
  }
  if (room) {
    const roomAdmin = canManageRoom({ kind: found.kind ?? 'public', myRole }, ctx.role ?? 'member');
    const max = ctx.config.roomMentionMaxMembers;
    if (!mayMentionRoom({ roomAdmin, memberCount: found.memberCount }, max)) throw new AppError('BAD_REQUEST', roomMentionRefused(max));
  }
  return mentions;
}
