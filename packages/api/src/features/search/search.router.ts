import type { TRPCRouterRecord } from '@trpc/server';
import { partitionProcedure } from '../../trpc.ts';
import { searchMessagesInput } from './search.schema.ts';
import * as service from './search.service.ts';

export const searchRouter = {
  /**
   * Full-text search over the messages of the rooms and direct messages the caller is in now,
   * newest first, with a highlighted snippet each; `cursor` pages on.
   */
  messages: partitionProcedure('viewer')
    .input(searchMessagesInput)
    .query(({ ctx, input }) => service.searchMessages(ctx, input)),
} satisfies TRPCRouterRecord;
