/** A workspace role, highest first. @example `const role: Role = 'member';` */
export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
/** @example `hasRole(role satisfies Role, 'member')` */
export type Role = (typeof ROLES)[number];

/** The roles a member can be given; `owner` is the workspace's creator and is never assigned. @example `ASSIGNABLE_ROLES.includes(role)` */
export const ASSIGNABLE_ROLES = ['admin', 'member', 'viewer'] as const;
/** @example `const role: AssignableRole = 'viewer';` */
export type AssignableRole = (typeof ASSIGNABLE_ROLES)[number];

const ROLE_RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/** Owner 3 > admin 2 > member 1 > viewer 0. @example `roleRank('admin') > roleRank('member')` */
export function roleRank(role: Role): number {
  return ROLE_RANK[role];
}

/** Whether `role` is `atLeast` or above. @example `hasRole('admin', 'member'); // true` */
export function hasRole(role: Role, atLeast: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[atLeast];
}

/**
 * What a member below the procedure's minimum role is told (`partitionProcedure(minRole)`).
 * @example `throw new AppError('FORBIDDEN', ROLE_NEEDED.member)`
 */
export const ROLE_NEEDED: Readonly<Record<Role, string>> = {
  viewer: 'You are not a member of this workspace.',
  member: 'Viewers can read but not write in this workspace.',
  admin: 'Only workspace admins and owners can do that.',
  owner: 'Only the workspace owner can do that.',
};

/** Viewers read; members and up write (`partitionProcedure('member')`). @example `canWrite('viewer'); // false` */
export function canWrite(role: Role): boolean {
  return hasRole(role, 'member');
}

/**
 * Workspace owners and admins: they manage members and invites, moderate every room but direct
 * messages, and post announcements. @example `isWorkspaceModerator('admin'); // true`
 */
export function isWorkspaceModerator(role: Role): boolean {
  return hasRole(role, 'admin');
}

/** The roles `myRole` may give a member it manages: only the owner makes admins. @example `assignableRoles('admin'); // ['member', 'viewer']` */
export function assignableRoles(myRole: Role): AssignableRole[] {
  return myRole === 'owner' ? ['admin', 'member', 'viewer'] : ['member', 'viewer'];
}

/**
 * Who may change whose role (`what: 'role'`, to `newRole`) or remove whom (`'remove'`): an owner
 * or an admin, never themselves, never the owner; only the owner makes or unmakes admins (an
 * admin manages members and viewers). Answers the refusal the server gives, or null when allowed.
 * @example
 * ```ts
 * memberManagementRefusal({ id: 'a', role: 'admin' }, { userId: 'b', role: 'admin' }, 'remove');
 * // 'Only the owner can remove an admin.'
 * ```
 */
export function memberManagementRefusal(
  actor: { id: string; role: Role },
  target: { userId: string; role: Role },
  what: 'role' | 'remove',
  newRole?: Role,
): string | null {
  if (!isWorkspaceModerator(actor.role)) return ROLE_NEEDED.admin;
  if (target.userId === actor.id) {
    return what === 'role' ? 'You cannot change your own role; ask the owner.' : 'To leave the workspace, use "Leave workspace".';
  }
  if (target.role === 'owner') return what === 'role' ? "The owner's role cannot be changed." : 'The owner cannot be removed.';
  if (actor.role !== 'owner' && (target.role === 'admin' || newRole === 'admin')) {
    return what === 'role' ? 'Only the owner can make or unmake admins.' : 'Only the owner can remove an admin.';
  }
  return null;
}

/**
 * Whether `actor` may change `target`'s role or remove them (`memberManagementRefusal` allows it).
 * @example `canManageMember(me, member) && <RoleSelect …/>`
 */
export function canManageMember(actor: { id: string; role: Role }, target: { userId: string; role: Role }): boolean {
  return memberManagementRefusal(actor, target, 'role') === null;
}
