import type { Kysely } from 'kysely';
import { pt, type Database, type PartitionId, type User } from '@parley/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { describeRule, enforceRateLimit } from '../../rate-limit.ts';
import { appendEvents } from './event.repo.ts';
import { publishEvents } from './event.log.ts';
import type { NewEvent, ParleyEvent } from './event.types.ts';

type InPartition = Context & { user: User; partitionId: PartitionId };

/** What a change decided inside its transaction: the answer, and the events that record it. */
export interface Change<T> {
  result: T;
  events: NewEvent[];
  /** Runs in the transaction after the events are appended (the rare write that needs their ids). */
  afterAppend?: ((trx: Kysely<Database>, events: ParleyEvent[]) => Promise<unknown>) | undefined;
}

export const OP_REUSED = 'That opId was already used for another change; generate a new one.';

/**
 * Commits one change of a partition with its events, once per client-made `opId`:
 *
 * 1. The op id is claimed first (`ops_<pid>`, primary key). A repeat, whether a retry after a
 *    lost answer, a replayed outbox or a second tab, finds it claimed and gets the first
 *    answer back, with nothing changed and no event appended; a concurrent copy waits on the
 *    key until the first commits. The same id for another user or kind is CONFLICT.
 * 2. `decide(trx)` checks and writes (throwing an AppError rolls everything back, the claim
 *    too, so a refused change can be sent again later and be judged again).
 * 3. The answer is stored with the claim, the events are appended last (the partition's
 *    counter row stays locked one round trip), and after the commit they are published.
 *
 * Without an `opId` (mutations that are idempotent by nature) the claim is skipped.
 */
export async function commitChange<T>(
  ctx: InPartition,
  op: { opId?: string | undefined; kind: string },
  decide: (trx: Kysely<Database>) => Promise<Change<T>>,
): Promise<T> {
  const rule = ctx.config.rateLimits.changesPerUser;
  await enforceRateLimit(ctx, `chg:${ctx.user.id}`, rule, `You are making changes too fast (${describeRule(rule)}).`);
  const ops = pt(ctx.partitionId, 'ops');
  const { result, events } = await ctx.db.transaction().execute(async (trx) => {
    if (op.opId) {
      const claimed = await trx
        .insertInto(ops)
        .values({ op_id: op.opId, user_id: ctx.user.id, kind: op.kind })
        .onConflict((oc) => oc.doNothing())
        .returning('op_id')
        .executeTakeFirst();
      if (!claimed) {
        const first = await trx.selectFrom(ops).selectAll().where('op_id', '=', op.opId).executeTakeFirstOrThrow();
        if (first.user_id !== ctx.user.id || first.kind !== op.kind) throw new AppError('CONFLICT', OP_REUSED);
        return { result: first.result as T, events: [] as ParleyEvent[] };
      }
    }
    const change = await decide(trx);
    if (op.opId) {
      await trx
        .updateTable(ops)
        .set({ result: JSON.stringify(change.result ?? null) })
        .where('op_id', '=', op.opId)
        .execute();
    }
    const appended = await appendEvents(trx, ctx.partitionId, change.events);
    await change.afterAppend?.(trx, appended);
    return { result: change.result, events: appended };
  });
  publishEvents(ctx, events);
  return result;
}
