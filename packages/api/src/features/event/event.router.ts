import type { TRPCRouterRecord } from '@trpc/server';
import { partitionProcedure } from '../../trpc.ts';
import { onEventInput } from './event.schema.ts';
import { findLastEventId } from './event.repo.ts';
import { streamEvents } from './event.service.ts';

export const eventRouter = {
  /**
   * The partition's current position. A client with no stored position subscribes from here and
   * fetches its rooms after: the pages then hold everything up to at least this id, and the
   * stream everything after it, so nothing falls between the two.
   */
  head: partitionProcedure('viewer').query(async ({ ctx }) => ({ lastEventId: await findLastEventId(ctx.db, ctx.partitionId) })),
  /**
   * Every durable event of a partition the user may see, as `tracked(id, event)`. Resumes
   * after `lastEventId` (sent automatically by tRPC's links on reconnect).
   */
  onEvent: partitionProcedure('viewer')
    .input(onEventInput)
    // The stream itself, not a generator around it: one suspended generator per idle
    // subscription instead of two (it maps its own errors, which bypass middleware).
    .subscription(({ ctx, input, signal }) => streamEvents(ctx, ctx.partitionId, input.lastEventId ?? null, signal)),
} satisfies TRPCRouterRecord;
