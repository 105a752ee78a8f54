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
export type RoomMember = RouterOutputs['room']['members'][number];
export type Announcement = RouterOutputs['announcement']['list'][number];
export type MessagePage = RouterOutputs['message']['list'];
export type AdminNode = RouterOutputs['admin']['nodes'][number];
export type AdminPartition = RouterOutputs['admin']['partitions'][number];
export type AdminAuditPage = RouterOutputs['admin']['audit'];
export type AdminAuditEntry = AdminAuditPage['entries'][number];
export type { MessageDto, ParleyEvent } from '@parley/client';

/** The roles an owner or admin can give (`owner` is never given). */
export type AssignableRole = Exclude<Role, 'owner'>;

export function canManageInvites(role: Role): boolean {
  return role === 'owner' || role === 'admin';
}

/** Viewers read; members and up write (mirrors the server's `partitionProcedure('member')`). */
export function canWrite(role: Role): boolean {
  return role !== 'viewer';
}

/**
 * Whether I may change this member's role or remove them (mirrors the server's rules): owners
 * and admins, never themselves, never the owner, and only the owner manages admins.
 */
export function canManageMember(me: { id: string; role: Role }, member: { userId: string; role: Role }): boolean {
  if (me.role !== 'owner' && me.role !== 'admin') return false;
  if (member.userId === me.id || member.role === 'owner') return false;
  return me.role === 'owner' || member.role !== 'admin';
}

/** The roles I may give a member I manage: only the owner makes admins. */
export function assignableRoles(myRole: Role): AssignableRole[] {
  return myRole === 'owner' ? ['admin', 'member', 'viewer'] : ['member', 'viewer'];
}
