import { isWorkspaceModerator, type Role } from './roles.ts';

/** Every workspace has it and everyone stays in it (no leaving, no removal, no rename). @example `room.name === DEFAULT_ROOM_NAME` */
export const DEFAULT_ROOM_NAME = 'general';
/** A room's name, after trimming. @example `<input maxLength={ROOM_NAME_MAX_CHARS} />` */
export const ROOM_NAME_MAX_CHARS = 48;
/** A room's topic, after trimming. @example `topic.trim().length <= ROOM_TOPIC_MAX_CHARS` */
export const ROOM_TOPIC_MAX_CHARS = 250;
/** People in one direct message, you included (so at most 7 others are chosen). @example `others.length <= DM_MAX_MEMBERS - 1` */
export const DM_MAX_MEMBERS = 8;

/** @example `const kind: RoomKind = 'dm';` */
export type RoomKind = 'public' | 'private' | 'dm';
/** A role inside one room (not the workspace's). @example `const role: RoomRole = 'admin';` */
export type RoomRole = 'admin' | 'member';

/** `#general` (any case), never a direct message. @example `isDefaultRoom({ name: 'General', kind: 'public' }); // true` */
export function isDefaultRoom(room: { name: string; kind: RoomKind }): boolean {
  return room.kind !== 'dm' && room.name.toLowerCase() === DEFAULT_ROOM_NAME;
}

/**
 * Whether someone may change a room's topic, its members and their room roles, and delete others'
 * messages in it: its room admins and the workspace's owners and admins; nobody for a direct
 * message (its people are fixed). `myRole` is the room role, null when not in the room.
 * @example `canManageRoom({ kind: 'public', myRole: null }, 'admin'); // true`
 */
export function canManageRoom(room: { kind: RoomKind; myRole: RoomRole | null }, myWorkspaceRole: Role): boolean {
  if (room.kind === 'dm') return false;
  return room.myRole === 'admin' || isWorkspaceModerator(myWorkspaceRole);
}
