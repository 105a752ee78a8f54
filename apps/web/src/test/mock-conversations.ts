import type { RequestHandler } from 'msw';
import type { createTRPCMsw } from 'msw-trpc';
import { TRPCError } from '@trpc/server';
import { ROOM_NAME_MAX_CHARS, type AppRouter } from '@parley/client';
import { ANNOUNCEMENT_MAX_CHARS, DM_MAX_OTHERS, isDefaultRoom, isWorkspaceModerator, ROOM_TOPIC_MAX_CHARS, type RoomRole } from '../lib/rooms.ts';
import type { Announcement, Me, ParleyEvent, Role } from '../lib/trpc.ts';
import {
  REFUSALS,
  roomAudience,
  roomExists,
  roomItem,
  roomNewsAudience,
  type Audience,
  type MockRoom,
  type PartitionState,
  type RoomDto,
} from './mock-state.ts';

/** What the room, direct message and announcement procedures need of `MockParley`. */
export interface ConversationHost {
  /** As `partitionProcedure(min)`: the signed-in user's membership, at least `min`. */
  access(partitionId: string, min: 'viewer' | 'member' | 'admin'): { p: PartitionState; me: Me; role: Role };
  /** Logs the event (next id) for `audience` and streams it to those of them listening. */
  append(p: PartitionState, audience: Audience, make: (id: number, at: string) => ParleyEvent): ParleyEvent;
  /** As `commitChange`: the same opId gets the first answer back and changes nothing. */
  once<T>(opId: string | undefined, run: () => T): T;
  /** A block stands between `userId` and any of `others` (either way). */
  blocked(userId: string, others: readonly string[]): boolean;
}

type Trpc = ReturnType<typeof createTRPCMsw<AppRouter>>;
type Actor = { id: string; displayName: string };

const refuse = (code: 'NOT_FOUND' | 'FORBIDDEN' | 'BAD_REQUEST' | 'CONFLICT', message: string) => new TRPCError({ code, message });

export function findRoom(p: PartitionState, roomId: string): MockRoom | undefined {
  return p.rooms.find((r) => r.room.id === roomId);
}

function displayName(p: PartitionState, userId: string): string {
  return p.members.find((m) => m.userId === userId)?.displayName ?? 'Someone';
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw refuse('BAD_REQUEST', REFUSALS.nameMissing);
  if (trimmed.length > ROOM_NAME_MAX_CHARS) throw refuse('BAD_REQUEST', REFUSALS.nameTooLong);
  return trimmed;
}

function checkTopic(topic: string): string {
  const trimmed = topic.trim();
  if (trimmed.length > ROOM_TOPIC_MAX_CHARS) throw refuse('BAD_REQUEST', REFUSALS.topicTooLong);
  return trimmed;
}

function joined(host: ConversationHost, p: PartitionState, r: MockRoom, userId: string, role: RoomRole, addedBy: string | null): ParleyEvent {
  if (!r.members.has(userId)) r.members.set(userId, { role, joinedAt: new Date().toISOString() });
  const roomId = r.room.id;
  return host.append(p, roomAudience(r), (id, at) => ({
    id,
    partitionId: p.partition.id,
    roomId,
    at,
    actorId: addedBy ?? userId,
    type: 'member.joined',
    data: { roomId, userId, displayName: displayName(p, userId), role, ...(addedBy ? { addedBy } : {}) },
  }));
}

/**
 * `room.created`, before its first members' `member.joined`: a public room's is news for the
 * whole workspace; a private room's or a direct message's names them (`memberIds`), and only
 * they see it.
 */
function roomCreated(host: ConversationHost, p: PartitionState, r: MockRoom, actorId: string): void {
  const room = r.room.kind === 'public' ? { ...r.room } : { ...r.room, memberIds: [...r.members.keys()].sort() };
  host.append(p, roomNewsAudience(r), (id, at) => ({ id, partitionId: p.partition.id, roomId: room.id, at, actorId, type: 'room.created', data: room }));
}

/** A public or private room with its creator as its admin. */
export function createRoom(
  host: ConversationHost,
  p: PartitionState,
  actor: Actor,
  input: { name: string; kind: 'public' | 'private'; topic?: string | undefined },
): RoomDto {
  const name = checkName(input.name);
  const topic = checkTopic(input.topic ?? '');
  if (p.rooms.some((r) => r.room.kind !== 'dm' && r.room.name.toLowerCase() === name.toLowerCase())) throw refuse('CONFLICT', roomExists(name));
  const r: MockRoom = {
    room: { id: crypto.randomUUID(), partitionId: p.partition.id, name, kind: input.kind, topic, createdBy: actor.id, createdAt: new Date().toISOString() },
    members: new Map(),
    dmKey: null,
  };
  p.rooms = [...p.rooms, r];
  r.members.set(actor.id, { role: 'admin', joinedAt: r.room.createdAt });
  roomCreated(host, p, r, actor.id);
  joined(host, p, r, actor.id, 'admin', null);
  return { ...r.room };
}

/** Adds a workspace member to a room (no check of who asks): false when already in it. */
export function addToRoom(host: ConversationHost, p: PartitionState, r: MockRoom, userId: string, by: string): boolean {
  if (r.members.has(userId)) return false;
  joined(host, p, r, userId, 'member', by);
  return true;
}

/** Takes someone out of a room (`removedBy` null: they left); false when they were not in it. */
export function removeFromRoom(host: ConversationHost, p: PartitionState, r: MockRoom, userId: string, removedBy: string | null, actorId: string): boolean {
  if (isDefaultRoom(r.room)) throw refuse('BAD_REQUEST', REFUSALS.stayInGeneral);
  if (!r.members.delete(userId)) return false;
  const roomId = r.room.id;
  host.append(p, roomAudience(r, userId), (id, at) => ({
    id,
    partitionId: p.partition.id,
    roomId,
    at,
    actorId,
    type: 'member.left',
    data: { roomId, userId, ...(removedBy ? { removedBy } : {}) },
  }));
  return true;
}

/** Gives a room member another room role (no check of who asks, but a room keeps an admin); false when unchanged. */
export function changeRoomRole(host: ConversationHost, p: PartitionState, r: MockRoom, userId: string, role: RoomRole, by: string): boolean {
  const previous = r.members.get(userId);
  if (!previous) throw refuse('NOT_FOUND', REFUSALS.notInRoom);
  if (previous.role === role) return false;
  if (previous.role === 'admin' && [...r.members.values()].filter((m) => m.role === 'admin').length <= 1) {
    throw refuse('BAD_REQUEST', REFUSALS.lastAdmin);
  }
  r.members.set(userId, { ...previous, role });
  const roomId = r.room.id;
  host.append(p, roomAudience(r), (id, at) => ({
    id,
    partitionId: p.partition.id,
    roomId,
    at,
    actorId: by,
    type: 'room.role_changed',
    data: { roomId, userId, role, previousRole: previous.role },
  }));
  return true;
}

/**
 * The direct message of `actorId` and `others`, found by its sorted member key or created with
 * all of them in it (`room.created`, then their `member.joined`, all seen by them alone).
 */
export function openDm(host: ConversationHost, p: PartitionState, actorId: string, userIds: readonly string[]): MockRoom {
  if (userIds.length === 0) throw refuse('BAD_REQUEST', REFUSALS.dmNone);
  if (userIds.length > DM_MAX_OTHERS) throw refuse('BAD_REQUEST', REFUSALS.dmTooMany);
  const others = [...new Set(userIds)].filter((id) => id !== actorId);
  if (others.length === 0) throw refuse('BAD_REQUEST', REFUSALS.dmSelf);
  const memberIds = [actorId, ...others].sort();
  const dmKey = memberIds.join(',');
  const existing = p.rooms.find((r) => r.dmKey === dmKey);
  if (existing) return existing;
  if (!others.every((id) => p.members.some((m) => m.userId === id)) || host.blocked(actorId, others)) {
    throw refuse('NOT_FOUND', REFUSALS.dmUnreachable);
  }
  const r: MockRoom = {
    room: {
      id: crypto.randomUUID(),
      partitionId: p.partition.id,
      name: '',
      kind: 'dm',
      topic: '',
      createdBy: actorId,
      createdAt: new Date().toISOString(),
      memberIds,
    },
    members: new Map(),
    dmKey,
  };
  p.rooms = [...p.rooms, r];
  for (const id of memberIds) r.members.set(id, { role: 'member', joinedAt: r.room.createdAt });
  roomCreated(host, p, r, actorId);
  joined(host, p, r, actorId, 'member', null);
  for (const id of others) joined(host, p, r, id, 'member', actorId);
  return r;
}

/** An announcement by `author` (no check of their role), seen by everyone in the workspace. */
export function postAnnouncement(host: ConversationHost, p: PartitionState, author: Actor, body: string): Announcement {
  const text = body.trim();
  if (!text) throw refuse('BAD_REQUEST', REFUSALS.bodyEmpty);
  if (text.length > ANNOUNCEMENT_MAX_CHARS) throw refuse('BAD_REQUEST', REFUSALS.bodyTooLong);
  const announcement: Announcement = {
    id: crypto.randomUUID(),
    partitionId: p.partition.id,
    authorId: author.id,
    authorName: author.displayName,
    body: text,
    createdAt: new Date().toISOString(),
  };
  p.announcements = [...p.announcements, { announcement, dismissedBy: new Set() }];
  host.append(p, null, (id, at) => ({
    id,
    partitionId: p.partition.id,
    roomId: null,
    at,
    actorId: author.id,
    type: 'announcement.created',
    data: announcement,
  }));
  return announcement;
}

/**
 * The room, if the caller may manage it (`roomToManage` of `room.admin.ts`): a room admin, or a
 * workspace owner or admin, never for a direct message; a room they may not know of is NOT_FOUND.
 */
function roomToManage(p: PartitionState, me: Me, role: Role, roomId: string): MockRoom {
  const r = findRoom(p, roomId);
  if (!r) throw refuse('NOT_FOUND', REFUSALS.noSuchRoom);
  const myRole = r.members.get(me.id)?.role;
  if (r.room.kind === 'dm') throw refuse(myRole ? 'BAD_REQUEST' : 'NOT_FOUND', myRole ? REFUSALS.dmFixed : REFUSALS.noSuchRoom);
  if (myRole === 'admin' || isWorkspaceModerator(role)) return r;
  if (r.room.kind === 'private' && !myRole) throw refuse('NOT_FOUND', REFUSALS.noSuchRoom);
  throw refuse('FORBIDDEN', REFUSALS.notRoomAdmin);
}

/** A room the caller may know of: public, theirs, or (workspace owners and admins) private. */
function visible(r: MockRoom, userId: string, role: Role): boolean {
  return r.room.kind === 'public' || r.members.has(userId) || (r.room.kind === 'private' && isWorkspaceModerator(role));
}

/** `room.*`, `dm.open` and `announcement.*` with the server's rules and words. */
export function conversationProcedures(t: Trpc, host: ConversationHost): RequestHandler[] {
  return [
    t.room.list.query(({ input }) => {
      const { p, me, role } = host.access(input.partitionId, 'viewer');
      return p.rooms.filter((r) => visible(r, me.id, role)).map((r) => roomItem(r, me.id));
    }),
    t.room.create.mutation(({ input }) => {
      const { p, me } = host.access(input.partitionId, 'member');
      return host.once(input.opId, () => createRoom(host, p, me, { name: input.name, kind: input.visibility ?? 'public', topic: input.topic }));
    }),
    t.room.join.mutation(({ input }) => {
      const { p, me } = host.access(input.partitionId, 'viewer');
      const r = findRoom(p, input.roomId);
      if (!r || (r.room.kind !== 'public' && !r.members.has(me.id))) throw refuse('NOT_FOUND', REFUSALS.noSuchRoom);
      if (!r.members.has(me.id)) joined(host, p, r, me.id, 'member', null);
      return { joined: true as const };
    }),
    t.room.leave.mutation(({ input }) => {
      const { p, me } = host.access(input.partitionId, 'viewer');
      const r = findRoom(p, input.roomId);
      if (!r || (r.room.kind !== 'public' && !r.members.has(me.id))) throw refuse('NOT_FOUND', REFUSALS.noSuchRoom);
      removeFromRoom(host, p, r, me.id, null, me.id);
      return { left: true as const };
    }),
    t.room.members.query(({ input }) => {
      const { p, me, role } = host.access(input.partitionId, 'viewer');
      const r = findRoom(p, input.roomId);
      if (!r || !visible(r, me.id, role) || (r.room.kind === 'dm' && !r.members.has(me.id))) throw refuse('NOT_FOUND', REFUSALS.noSuchRoom);
      return [...r.members].map(([userId, m]) => ({ userId, displayName: displayName(p, userId), role: m.role, joinedAt: m.joinedAt }));
    }),
    t.room.update.mutation(({ input }) => {
      const { p, me, role } = host.access(input.partitionId, 'member');
      return host.once(input.opId, () => {
        const r = roomToManage(p, me, role, input.roomId);
        const name = input.name === undefined ? undefined : checkName(input.name);
        const topic = input.topic === undefined ? undefined : checkTopic(input.topic);
        const rename = name !== undefined && name !== r.room.name;
        if (rename && isDefaultRoom(r.room)) throw refuse('BAD_REQUEST', REFUSALS.generalKeepsName);
        if (rename && p.rooms.some((o) => o !== r && o.room.kind !== 'dm' && o.room.name.toLowerCase() === name.toLowerCase())) {
          throw refuse('CONFLICT', roomExists(name));
        }
        const topicChange = topic !== undefined && topic !== r.room.topic;
        if (!rename && !topicChange) return { ...r.room };
        r.room = { ...r.room, ...(rename ? { name } : {}), ...(topicChange ? { topic } : {}) };
        const room = { ...r.room };
        host.append(p, roomNewsAudience(r), (id, at) => ({
          id,
          partitionId: p.partition.id,
          roomId: room.id,
          at,
          actorId: me.id,
          type: 'room.updated',
          data: room,
        }));
        return room;
      });
    }),
    t.room.addMember.mutation(({ input }) => {
      const { p, me, role } = host.access(input.partitionId, 'member');
      return host.once(input.opId, () => {
        const r = roomToManage(p, me, role, input.roomId);
        const target = p.members.find((m) => m.userId === input.userId);
        if (!target || (input.userId !== me.id && host.blocked(me.id, [input.userId]))) throw refuse('NOT_FOUND', REFUSALS.notAMember);
        return { userId: target.userId, added: addToRoom(host, p, r, target.userId, me.id) };
      });
    }),
    t.room.removeMember.mutation(({ input }) => {
      const { p, me, role } = host.access(input.partitionId, 'member');
      return host.once(input.opId, () => {
        const r = roomToManage(p, me, role, input.roomId);
        return { userId: input.userId, removed: removeFromRoom(host, p, r, input.userId, me.id, me.id) };
      });
    }),
    t.room.setRole.mutation(({ input }) => {
      const { p, me, role } = host.access(input.partitionId, 'member');
      return host.once(input.opId, () => {
        const r = roomToManage(p, me, role, input.roomId);
        const next = input.role ?? 'member';
        return { userId: input.userId, role: next, changed: changeRoomRole(host, p, r, input.userId, next, me.id) };
      });
    }),
    t.dm.open.mutation(({ input }) => {
      const { p, me } = host.access(input.partitionId, 'member');
      return host.once(input.opId, () => roomItem(openDm(host, p, me.id, input.userIds), me.id));
    }),
    t.announcement.create.mutation(({ input }) => {
      const { p, me } = host.access(input.partitionId, 'admin');
      return host.once(input.opId, () => postAnnouncement(host, p, me, input.body));
    }),
    t.announcement.list.query(({ input }) => {
      const { p, me } = host.access(input.partitionId, 'viewer');
      return p.announcements
        .filter((a) => !a.dismissedBy.has(me.id))
        .map((a) => a.announcement)
        .reverse()
        .slice(0, 20);
    }),
    t.announcement.dismiss.mutation(({ input }) => {
      const { p, me } = host.access(input.partitionId, 'viewer');
      return host.once(input.opId, () => {
        const a = p.announcements.find((x) => x.announcement.id === input.announcementId);
        if (!a) throw refuse('NOT_FOUND', REFUSALS.noSuchAnnouncement);
        if (!a.dismissedBy.has(me.id)) {
          a.dismissedBy.add(me.id);
          const data = { id: a.announcement.id, userId: me.id };
          host.append(p, new Set([me.id]), (id, at) => ({
            id,
            partitionId: p.partition.id,
            roomId: null,
            at,
            actorId: me.id,
            type: 'announcement.dismissed',
            data,
          }));
        }
        return { id: input.announcementId, dismissed: true as const };
      });
    }),
  ];
}
