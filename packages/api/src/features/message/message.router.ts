import type { TRPCRouterRecord } from '@trpc/server';
import { partitionProcedure } from '../../trpc.ts';
import { listMessagesInput, sendMessageInput } from './message.schema.ts';
import * as service from './message.service.ts';

export const messageRouter = {
  /** Idempotent by `clientId`: sending the same message twice returns the first. */
  send: partitionProcedure('member')
    .meta({ countsIpLimit: true })
    .input(sendMessageInput)
    .mutation(({ ctx, input }) => service.sendMessage(ctx, input)),
  list: partitionProcedure('viewer').input(listMessagesInput).query(({ ctx, input }) => service.listMessages(ctx, input)),
} satisfies TRPCRouterRecord;
