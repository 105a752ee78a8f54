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

/**
 * Who may do what by role, as the server decides it (`@parley/rules`, through the client):
 * `canWrite` (members and up), `canManageMember(me, member)` (owners and admins, never
 * themselves, never the owner; only the owner manages admins), `assignableRoles(myRole)`.
 */
export { assignableRoles, canManageMember, canWrite, type AssignableRole } from '@parley/client';
/** Owners and admins manage invites and post announcements. */
export { isWorkspaceModerator as canManageInvites } from '@parley/client';
