import type { TRPCRouterRecord } from '@trpc/server';
import { partitionProcedure } from '../../trpc.ts';
import { createAnnouncementInput, dismissAnnouncementInput } from './announcement.schema.ts';
import * as service from './announcement.service.ts';

export const announcementRouter = {
  /** Workspace owners and admins: reaches every member, who sees it until they dismiss it. */
  create: partitionProcedure('admin')
    .input(createAnnouncementInput)
    .mutation(({ ctx, input }) => service.createAnnouncement(ctx, input)),
  /** The announcements you have not dismissed, newest first. */
  list: partitionProcedure('viewer').query(({ ctx }) => service.listAnnouncements(ctx)),
  dismiss: partitionProcedure('viewer')
    .input(dismissAnnouncementInput)
    .mutation(({ ctx, input }) => service.dismissAnnouncement(ctx, input)),
} satisfies TRPCRouterRecord;
