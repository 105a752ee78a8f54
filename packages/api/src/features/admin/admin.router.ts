import type { TRPCRouterRecord } from '@trpc/server';
import { adminProcedure } from '../../trpc.ts';
import { auditInput } from './admin.schema.ts';
import * as service from './admin.service.ts';

/** The cluster as Parley administrators see it (`users.is_admin`); everyone else is FORBIDDEN. */
export const adminRouter = {
  /** Every node: status, health, load, heartbeat age (database clock), leases held. */
  nodes: adminProcedure.query(({ ctx }) => service.listNodes(ctx)),
  /** Every workspace: creator and owner, members, last event id, template version, which node runs its jobs. */
  partitions: adminProcedure.query(({ ctx }) => service.listPartitions(ctx)),
  /** The audit log, newest first; page back with `before: nextCursor`. */
  audit: adminProcedure.input(auditInput).query(({ ctx, input }) => service.listAudit(ctx, input)),
} satisfies TRPCRouterRecord;
