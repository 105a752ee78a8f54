import type { TRPCRouterRecord } from '@trpc/server';
import { partitionProcedure } from '../../trpc.ts';
import { deleteMessageInput, editMessageInput, listMessagesInput, listPinsInput, messageRefInput, sendMessageInput } from './message.schema.ts';
import * as actions from './message.actions.ts';
import * as service from './message.service.ts';

export const messageRouter = {
  /** Idempotent by `clientId`: sending the same message twice returns the first. */
  send: partitionProcedure('member')
    .meta({ countsIpLimit: true })
    .input(sendMessageInput)
    .mutation(({ ctx, input }) => service.sendMessage(ctx, input)),
  list: partitionProcedure('viewer')
    .input(listMessagesInput)
    .query(({ ctx, input }) => service.listMessages(ctx, input)),
  /** Your own message, within 5 minutes of sending it (database clock); the previous text is kept server-side. */
  edit: partitionProcedure('member')
    .input(editMessageInput)
    .mutation(({ ctx, input }) => actions.editMessage(ctx, input)),
  /**
   * `everyone`: a tombstone for all (the author any time; room admins and workspace owners and
   * admins as moderation); `me`: hidden for the caller only, on all their devices.
   */
  delete: partitionProcedure('viewer')
    .input(deleteMessageInput)
    .mutation(({ ctx, input }) => actions.deleteMessage(ctx, input)),
  pin: partitionProcedure('member')
    .input(messageRefInput)
    .mutation(({ ctx, input }) => actions.setPinned(ctx, input, true)),
  unpin: partitionProcedure('member')
    .input(messageRefInput)
    .mutation(({ ctx, input }) => actions.setPinned(ctx, input, false)),
  /** The room's pinned messages, most recently pinned first. */
  pins: partitionProcedure('viewer')
    .input(listPinsInput)
    .query(({ ctx, input }) => actions.listPins(ctx, input)),
} satisfies TRPCRouterRecord;
