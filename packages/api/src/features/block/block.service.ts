import type { User } from '@parley/db';
import { REFUSAL } from '@parley/rules';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors.ts';
import * as repo from './block.repo.ts';
import type { BlockInput } from './block.schema.ts';

type Authed = Context & { user: User };

export interface BlockedUserDto {
  userId: string;
  username: string;
  displayName: string;
  blockedAt: string;
}

/**
 * Blocks or unblocks a person, in every workspace at once. Idempotent by nature (it sets a
 * state; no event). The blocker's open streams hear of it through the access channel (`blocks`)
 * and mark that person's messages from then on.
 */
export async function blockUser(ctx: Authed, input: BlockInput, blocked: boolean): Promise<{ userId: string; blocked: boolean }> {
  if (input.userId === ctx.user.id) throw new AppError('BAD_REQUEST', REFUSAL.blockSelf);
  if (!(await repo.userExists(ctx.db, input.userId))) throw new AppError('NOT_FOUND', REFUSAL.noSuchPerson);
  const changed = blocked ? await repo.insertBlock(ctx.db, ctx.user.id, input.userId) : await repo.deleteBlock(ctx.db, ctx.user.id, input.userId);
  if (changed) await ctx.access.changed({ kind: 'blocks', userId: ctx.user.id });
  return { userId: input.userId, blocked };
}

export async function listBlocks(ctx: Authed): Promise<BlockedUserDto[]> {
  const rows = await repo.listBlocked(ctx.db, ctx.user.id);
  return rows.map((r) => ({ userId: r.id, username: r.username, displayName: r.display_name, blockedAt: r.created_at }));
}

/** The ids `userId` has blocked (a stream marks their messages). */
export async function blockedIds(deps: Pick<Context, 'db'>, userId: string): Promise<Set<string>> {
  return new Set((await repo.listBlocked(deps.db, userId)).map((r) => r.id));
}

/** Whether a block stands between `userId` and any of `others` (either direction). */
export function isBlockedBetween(deps: Pick<Context, 'db'>, userId: string, others: readonly string[]): Promise<boolean> {
  return repo.anyBlockBetween(deps.db, userId, others);
}
