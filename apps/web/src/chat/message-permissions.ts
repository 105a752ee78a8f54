import { EDIT_WINDOW_MS } from '@parley/client';
import type { ChatItem } from './chat-items.ts';

/** What I may do in this room (from my workspace role and the room's `myRole`). */
export interface RoomAbilities {
  myId: string;
  /** Members and up, in the room: react, reply, pin, edit. */
  canWrite: boolean;
  /** In the room at all: "delete for me" (viewers too). */
  inRoom: boolean;
  /** Room admins and workspace owners and admins, not in direct messages: delete others' messages for everyone. */
  canModerate: boolean;
}

/** The actions a message offers now; `editLeftMs` is set while I may still edit it. */
export interface MessageAbilities {
  react: boolean;
  reply: boolean;
  /** Milliseconds left to edit (this device's clock; the server's decides), or null. */
  editLeftMs: number | null;
  deleteForEveryone: boolean;
  deleteForMe: boolean;
  pin: boolean;
  unpin: boolean;
}

const NONE: MessageAbilities = { react: false, reply: false, editLeftMs: null, deleteForEveryone: false, deleteForMe: false, pin: false, unpin: false };

/**
 * The actions on one row, mirroring the server's rules: only sent messages have any (one on its
 * way has Edit and Cancel of its own); a tombstone has only "delete for me"; editing is the
 * author's, for 5 minutes after sending; deleting for everyone is the author's, or a moderator's
 * outside direct messages; reacting, replying and pinning need a member.
 */
export function messageAbilities(item: ChatItem, room: RoomAbilities, now: number): MessageAbilities {
  if (item.status !== 'sent' || !item.id || !room.inRoom) return NONE;
  if (item.deletedAt) return { ...NONE, deleteForMe: true };
  const mine = item.authorId === room.myId;
  const left = Date.parse(item.createdAt) + EDIT_WINDOW_MS - now;
  return {
    react: room.canWrite,
    reply: room.canWrite,
    editLeftMs: mine && room.canWrite && left > 0 ? left : null,
    deleteForEveryone: mine || room.canModerate,
    deleteForMe: true,
    pin: room.canWrite && item.pinnedAt === null,
    unpin: room.canWrite && item.pinnedAt !== null,
  };
}

/** "3:12": minutes and seconds, rounded up (so "0:00" never shows while it is still possible). */
export function formatTimeLeft(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
