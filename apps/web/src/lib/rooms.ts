import { DM_MAX_MEMBERS, MESSAGE_MAX_CHARS, type RoomKind, type RoomRole } from '@parley/client';

/**
 * Room rules the SPA needs before asking the server (which decides). The limits and the
 * permission checks are the server's own (`@parley/rules`, re-exported by `@parley/client`);
 * what is only about showing rooms is here. Pure, so the MSW fake imports the same ones.
 */

export { canManageRoom, DEFAULT_ROOM_NAME, isDefaultRoom, isWorkspaceModerator, ROOM_TOPIC_MAX_CHARS } from '@parley/client';
export type { RoomKind, RoomRole };
/** The people chosen for a direct message, you not counted. */
export const DM_MAX_OTHERS = DM_MAX_MEMBERS - 1;
/** An announcement's body is a message body (`messageBodySchema`). */
export const ANNOUNCEMENT_MAX_CHARS = MESSAGE_MAX_CHARS;

/** What these rules read of a `room.list` item (the fake's rooms have the same fields). */
export interface RoomLike {
  name: string;
  kind: RoomKind;
  myRole: RoomRole | null;
  memberIds?: string[] | undefined;
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
