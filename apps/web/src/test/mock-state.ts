import { REFUSAL, roomExists, type MemberPresenceDto, type NoteDto, type NoteLockInfo, type NoteVersionDto } from '@parley/client';
import type { RoomRole } from '../lib/rooms.ts';
import type { Announcement, Member, ParleyEvent, Partition, Room } from '../lib/trpc.ts';

/** A room as the server keeps it: the same for everyone; `room.list` adds the caller's view. */
export type RoomDto = Omit<Room, 'joined' | 'memberCount' | 'myRole'>;

export interface MockRoom {
  room: RoomDto;
  /** Who is in it, in the order they joined. */
  members: Map<string, { role: RoomRole; joinedAt: string }>;
  /** A direct message's sorted member ids, joined by commas (the server's `dm_key`). */
  dmKey: string | null;
}

export interface MockAnnouncement {
  announcement: Announcement;
  dismissedBy: Set<string>;
}

/** A note as the server's `notes` row keeps it (`note.lock.ts`), with its versions. */
export interface MockNote {
  /** Its text and who changed it last; what `note.get` answers besides the live lock. */
  note: Omit<NoteDto, 'lock'>;
  /**
   * The lock's columns (`locked_by`, `lock_expires_at` in ms): kept after it lapsed, until the
   * sweep or the next taker clears it, so a late save can be told it expired.
   */
  lock: (Omit<NoteLockInfo, 'expiresAt'> & { expiresAt: number }) | null;
  /** The fencing token: one more at each acquisition, never reset (0: never locked). */
  token: number;
  deletedAt: string | null;
  /** Oldest first: version 1 at creation, one more at each save or restore that changed the text. */
  versions: NoteVersionDto[];
}

/** Who may see an event: everyone in the workspace (null), or these user ids. */
export type Audience = ReadonlySet<string> | null;

export interface PartitionState {
  /** Its `role` is only the seed's: `partition.list` answers with the signed-in user's member row. */
  partition: Partition;
  rooms: MockRoom[];
  /** Who is a member, `me` included (or not: then `me` is not in the workspace). Replaced, never changed in place. */
  members: Member[];
  /** The partition's event log: ids 1, 2, 3, … as the real server numbers them. */
  events: ParleyEvent[];
  /** Who may see each event (by id), as the server's `Visibility` decides; absent: everyone. */
  audiences: Map<number, Audience>;
  /** Members' presence as last set; anybody else is offline, never seen. */
  presence: Map<string, MemberPresenceDto>;
  announcements: MockAnnouncement[];
  /** By id, deleted ones too (`deletedAt`): `mock-notes.ts`. */
  notes: Map<string, MockNote>;
}

/**
 * The real server's words (`@parley/rules`' `REFUSAL`, which the server throws); a zod message
 * comes prefixed with its field, as the server's error formatter writes it.
 */
export const REFUSALS = {
  noSuchRoom: REFUSAL.noSuchRoom,
  notRoomAdmin: REFUSAL.notRoomAdmin,
  dmFixed: REFUSAL.dmFixed,
  dmUnreachable: REFUSAL.dmUnreachable,
  dmSelf: REFUSAL.dmSelf,
  dmTooMany: `userIds: ${REFUSAL.dmTooMany}`,
  dmNone: `userIds: ${REFUSAL.dmNone}`,
  stayInGeneral: REFUSAL.stayInGeneral,
  generalKeepsName: REFUSAL.generalKeepsName,
  notInRoom: REFUSAL.notInRoom,
  lastAdmin: REFUSAL.lastRoomAdmin,
  topicTooLong: `topic: ${REFUSAL.topicTooLong}`,
  nameMissing: `name: ${REFUSAL.roomNameMissing}`,
  nameTooLong: `name: ${REFUSAL.roomNameTooLong}`,
  noSuchAnnouncement: REFUSAL.noSuchAnnouncement,
  bodyEmpty: `body: ${REFUSAL.messageEmpty}`,
  bodyTooLong: `body: ${REFUSAL.messageTooLong}`,
  notAMember: REFUSAL.notAMember,
} as const;

export { roomExists };

/** The caller's `room.list` item for a room. */
export function roomItem(r: MockRoom, userId: string): Room {
  const myRole = r.members.get(userId)?.role ?? null;
  return { ...r.room, joined: myRole !== null, memberCount: r.members.size, myRole };
}

/**
 * A seed (a `room.list` item as the signed-in user `meId` sees it) as the server would keep it:
 * `meId` in it when `joined` (with `myRole`), then the other members, in order, up to
 * `memberCount`; its creator among them is its admin.
 */
export function seedRoom(seed: Room, members: readonly Member[], meId: string, at: string): MockRoom {
  const { joined, memberCount, myRole, ...room } = seed;
  const inRoom = new Map<string, { role: RoomRole; joinedAt: string }>();
  if (joined) inRoom.set(meId, { role: myRole ?? 'member', joinedAt: at });
  for (const m of members) {
    if (inRoom.size >= memberCount) break;
    if (m.userId === meId) continue;
    inRoom.set(m.userId, { role: m.userId === room.createdBy ? 'admin' : 'member', joinedAt: at });
  }
  const dmKey = room.kind === 'dm' ? [...inRoom.keys()].sort().join(',') : null;
  return { room: room.kind === 'dm' ? { ...room, memberIds: [...inRoom.keys()].sort() } : room, members: inRoom, dmKey };
}

/** A room's members, and (for their own `member.left`) the one who just went. */
export function roomAudience(r: MockRoom, also?: string): Audience {
  const ids = new Set(r.members.keys());
  if (also) ids.add(also);
  return ids;
}

/** `room.created` / `room.updated`: public rooms' news reaches the whole workspace. */
export function roomNewsAudience(r: MockRoom): Audience {
  return r.room.kind === 'public' ? null : roomAudience(r);
}
