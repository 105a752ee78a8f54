import type { TRPCRouterRecord } from '@trpc/server';
import { toTRPCError } from '../../errors.ts';
import { partitionProcedure } from '../../trpc.ts';
import { typingInput } from './presence.schema.ts';
import * as service from './presence.service.ts';

export const presenceRouter = {
  /** Every member's status (`online`, `reconnecting` with `offlineAt`, `offline` with `lastSeenAt`) and who is typing where. */
  list: partitionProcedure('viewer').query(({ ctx }) => service.listPresence(ctx)),
  /** "I am typing in this room" (member+, in the room): shown to the room for about 5 s; send it at most every 2 s. */
  typing: partitionProcedure('member')
    .input(typingInput)
    .mutation(({ ctx, input }) => service.sendTyping(ctx, input)),
  /**
   * Presence and typing, live (untracked: every subscription, a resumed one too, starts with a
   * `snapshot`). While it is open the user counts as connected to the partition.
   */
  onSignal: partitionProcedure('viewer').subscription(async function* ({ ctx, signal }) {
    try {
      yield* service.streamSignals(ctx, signal);
    } catch (error) {
      // Errors thrown while streaming bypass middleware: map them here.
      throw toTRPCError(error) ?? error;
    }
  }),
} satisfies TRPCRouterRecord;
