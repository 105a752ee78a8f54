import { createTRPCReact } from '@trpc/react-query';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@parley/client';

/**
 * The typed React hooks for Parley's router. Creating them opens nothing: the links and the
 * WebSocket live in the client made by `createAppClients` and handed to `<trpc.Provider>`.
 */
export const trpc = createTRPCReact<AppRouter>();

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export type Me = NonNullable<RouterOutputs['auth']['me']>;
export type Partition = RouterOutputs['partition']['list'][number];
export type Role = Partition['role'];
export type Member = RouterOutputs['partition']['members'][number];
export type Room = RouterOutputs['room']['list'][number];
export type MessagePage = RouterOutputs['message']['list'];
export type AdminNode = RouterOutputs['admin']['nodes'][number];
export type AdminPartition = RouterOutputs['admin']['partitions'][number];
export type AdminAuditPage = RouterOutputs['admin']['audit'];
export type AdminAuditEntry = AdminAuditPage['entries'][number];
export type { MessageDto, ParleyEvent } from '@parley/client';

export function canManageInvites(role: Role): boolean {
  return role === 'owner' || role === 'admin';
}

/** Viewers read; members and up write (mirrors the server's `partitionProcedure('member')`). */
export function canWrite(role: Role): boolean {
  return role !== 'viewer';
}
