import type { TRPCRouterRecord } from '@trpc/server';
import { authedProcedure, partitionProcedure } from '../../trpc.ts';
import { updateProfileInput } from './profile.schema.ts';
import * as service from './profile.service.ts';

export const profileRouter = {
  /**
   * Changes your display name, status or avatar (an id from `POST /avatar`; null removes it).
   * Every workspace you are in hears it (`profile.updated`). Idempotent by `opId`.
   */
  update: authedProcedure.input(updateProfileInput).mutation(({ ctx, input }) => service.updateProfile(ctx, input)),
  /** Your own profile. */
  mine: authedProcedure.query(({ ctx }) => service.myProfile(ctx)),
  /** Every member's profile in a workspace (load once, then follow `profile.updated`). */
  list: partitionProcedure('viewer').query(({ ctx }) => service.listProfiles(ctx)),
} satisfies TRPCRouterRecord;
