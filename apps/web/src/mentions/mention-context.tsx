import { createContext, useContext, useMemo, type ReactNode } from 'react';
import './mentions.css';
import { ROOM_MENTION_MAX_MEMBERS, type MentionCandidate } from '@parley/client';
import { canManageRoom } from '../lib/rooms.ts';
import { trpc, type Role, type Room } from '../lib/trpc.ts';

/** What mentions need in one room: who may be mentioned, everyone's name, and who I am. */
export interface MentionScopeValue {
  meId: string;
  /** A person's display name (anyone in the workspace, in the room or not). */
  nameOf: (userId: string) => string | undefined;
  /** The room's members, for the composer's autocomplete. */
  candidates: readonly MentionCandidate[];
  /** Whether I may use `@room` here (the server decides in the end: ROOM_MENTION_MAX_MEMBERS may be set otherwise). */
  allowRoom: boolean;
}

export const MentionContext = createContext<MentionScopeValue | null>(null);

/** The mention scope of the nearest room (null outside one: a note shows mentions without a room). */
export function useMentionScope(): MentionScopeValue | null {
  return useContext(MentionContext);
}

/** Provides a room's mention scope to its composer and its messages. */
export function MentionScope({ partitionId, room, meId, role, children }: { partitionId: string; room: Room; meId: string; role: Role; children: ReactNode }) {
  const roomMembers = trpc.room.members.useQuery({ partitionId, roomId: room.id });
  const members = trpc.partition.members.useQuery({ partitionId });
  const value = useMemo<MentionScopeValue>(() => {
    const names = new Map((members.data ?? []).map((m) => [m.userId, m.displayName]));
    for (const m of roomMembers.data ?? []) names.set(m.userId, m.displayName);
    return {
      meId,
      nameOf: (userId) => names.get(userId),
      candidates: (roomMembers.data ?? []).map((m) => ({ userId: m.userId, displayName: m.displayName })),
      allowRoom: canManageRoom(room, role) || room.memberCount <= ROOM_MENTION_MAX_MEMBERS,
    };
  }, [members.data, roomMembers.data, meId, room, role]);
  return <MentionContext.Provider value={value}>{children}</MentionContext.Provider>;
}
