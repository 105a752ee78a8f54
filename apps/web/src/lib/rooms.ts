import { MESSAGE_MAX_CHARS } from '@parley/client';
import type { Role } from './trpc.ts';

/**
 * Room rules the SPA needs before asking the server (which decides): mirrors of
 * packages/api's `room.schema.ts`, `dm.schema.ts`, `room.admin.ts` and `announcement.schema.ts`.
 * Pure, so the MSW fake imports the same ones.
 */

/** Every workspace has it, everyone stays in it (the server refuses leaving or removal). */
export const DEFAULT_ROOM_NAME = 'general';
/** `ROOM_TOPIC_MAX_CHARS` of packages/api `room.schema.ts`. */
export const ROOM_TOPIC_MAX_CHARS = 250;
/** `DM_MAX_MEMBERS - 1` of packages/api `dm.schema.ts`: the people chosen, you not counted. */
export const DM_MAX_OTHERS = 7;
/** An announcement's body is a message body (`messageBodySchema`). */
export const ANNOUNCEMENT_MAX_CHARS = MESSAGE_MAX_CHARS;

export type RoomKind = 'public' | 'private' | 'dm';
export type RoomRole = 'admin' | 'member';

/** What these rules read of a `room.list` item (the fake's rooms have the same fields). */
export interface RoomLike {
  name: string;
  kind: RoomKind;
  myRole: RoomRole | null;
  memberIds?: string[] | undefined;
}

export function isDefaultRoom(room: Pick<RoomLike, 'name' | 'kind'>): boolean {
  return room.kind !== 'dm' && room.name.toLowerCase() === DEFAULT_ROOM_NAME;
}

/** Workspace owners and admins: they moderate every room but direct messages, and post announcements. */
export function isWorkspaceModerator(role: Role): boolean {
  return role === 'owner' || role === 'admin';
}

/**
 * Whether I may change the room's topic and its members and their room roles: its room admins
 * and the workspace's owners and admins; nobody for a direct message (its people are fixed).
 */
export function canManageRoom(room: Pick<RoomLike, 'kind' | 'myRole'>, myWorkspaceRole: Role): boolean {
  if (room.kind === 'dm') return false;
  return room.myRole === 'admin' || isWorkspaceModerator(myWorkspaceRole);
}

/**
 * A direct message's name: the other people's names, alphabetical ("Ada, Grace, Linus").
 * Someone no longer in the workspace is "Former member".
 */
export function dmName(memberIds: readonly string[], meId: string, nameOf: (userId: string) => string | undefined): string {
  const names = memberIds
    .filter((id) => id !== meId)
    .map((id) => nameOf(id) ?? 'Former member')
    .sort((a, b) => a.localeCompare(b));
  return names.length ? names.join(', ') : 'Only you';
}

/** How a room is named on screen: `#design`, or a direct message's people. */
export function roomLabel(room: RoomLike, meId: string, nameOf: (userId: string) => string | undefined): string {
  return room.kind === 'dm' ? dmName(room.memberIds ?? [], meId, nameOf) : `#${room.name}`;
}

/** What the "New message" dialog says about how many are chosen; `tooMany` when it cannot start. */
export function dmChoiceStatus(chosen: number): { tooMany: boolean; text: string } {
  if (chosen > DM_MAX_OTHERS) {
    return {
      tooMany: true,
      text: `A direct message has at most ${DM_MAX_OTHERS + 1} people, you included: choose at most ${DM_MAX_OTHERS} (${chosen} chosen).`,
    };
  }
  return { tooMany: false, text: chosen === 0 ? `Choose up to ${DM_MAX_OTHERS} people.` : `${chosen} of at most ${DM_MAX_OTHERS} chosen.` };
}
