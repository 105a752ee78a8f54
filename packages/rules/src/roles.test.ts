import { expect, test } from 'vitest';
import { assignableRoles, canManageMember, hasRole, memberManagementRefusal, type Role } from './roles.ts';
import { canManageRoom } from './rooms.ts';

test('roles rank owner > admin > member > viewer', () => {
  expect(hasRole('owner', 'admin')).toBe(true);
  expect(hasRole('admin', 'owner')).toBe(false);
  expect(hasRole('member', 'member')).toBe(true);
  expect(hasRole('viewer', 'member')).toBe(false);
});

test('who may manage whom: owners and admins, never themselves or the owner; only the owner manages admins', () => {
  const owner = { id: 'o', role: 'owner' as Role };
  const admin = { id: 'a', role: 'admin' as Role };
  const member = { id: 'm', role: 'member' as Role };
  const target = (userId: string, role: Role) => ({ userId, role });
  expect(canManageMember(owner, target('a', 'admin'))).toBe(true);
  expect(canManageMember(admin, target('m', 'member'))).toBe(true);
  expect(canManageMember(admin, target('v', 'viewer'))).toBe(true);
  expect(canManageMember(admin, target('a2', 'admin'))).toBe(false);
  expect(canManageMember(admin, target('o', 'owner'))).toBe(false);
  expect(canManageMember(owner, target('o', 'owner'))).toBe(false);
  expect(canManageMember(member, target('v', 'viewer'))).toBe(false);
  expect(memberManagementRefusal(admin, target('m', 'member'), 'role', 'admin')).toBe('Only the owner can make or unmake admins.');
  expect(memberManagementRefusal(admin, target('a', 'admin'), 'remove')).toBe('To leave the workspace, use "Leave workspace".');
  expect(memberManagementRefusal(owner, target('o2', 'owner'), 'remove')).toBe('The owner cannot be removed.');
  expect(assignableRoles('owner')).toEqual(['admin', 'member', 'viewer']);
  expect(assignableRoles('admin')).toEqual(['member', 'viewer']);
});

test('rooms are managed by their admins and workspace moderators, direct messages by nobody', () => {
  expect(canManageRoom({ kind: 'public', myRole: 'admin' }, 'member')).toBe(true);
  expect(canManageRoom({ kind: 'private', myRole: null }, 'owner')).toBe(true);
  expect(canManageRoom({ kind: 'public', myRole: 'member' }, 'member')).toBe(false);
  expect(canManageRoom({ kind: 'dm', myRole: 'admin' }, 'owner')).toBe(false);
});
