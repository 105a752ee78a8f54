import type { MemberPresenceDto } from '@parley/client';
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
}

/** The real server's words (packages/api `room.service.ts`, `room.admin.ts`, `dm.service.ts`, …). */
export const REFUSALS = {
  noSuchRoom: 'No such room in this workspace.',
  notRoomAdmin: 'Only the room’s admins (and workspace owners and admins) can do that.',
  dmFixed: 'The people in a direct message are fixed; open another one instead.',
  dmUnreachable: 'You cannot start a conversation with everyone you chose. Check that they are members of this workspace.',
  dmSelf: 'Choose someone other than yourself.',
  dmTooMany: 'userIds: A direct message has at most 8 people, you included.',
  dmNone: 'userIds: Choose at least one person.',
  stayInGeneral: 'Everyone stays in #general.',
  generalKeepsName: '#general keeps its name.',
  notInRoom: 'That person is not in this room.',
  lastAdmin: 'A room keeps at least one admin: make someone else an admin first.',
  topicTooLong: 'topic: A topic has at most 250 characters.',
  nameMissing: 'name: Give the room a name.',
  nameTooLong: 'name: A room name has at most 48 characters.',
  noSuchAnnouncement: 'No such announcement.',
  bodyEmpty: 'body: A message cannot be empty.',
  bodyTooLong: 'body: A message has at most 4000 characters.',
  notAMember: 'That person is not a member of this workspace.',
} as const;

export const roomExists = (name: string) => `A room named "${name}" already exists.`;

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
