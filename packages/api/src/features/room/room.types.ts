import type { RoomKind, RoomRole } from '@parley/db';

export type { RoomKind, RoomRole };

export interface RoomDto {
  id: string;
  partitionId: string;
  /** '' for a direct message: its members name it. */
  name: string;
  /** `public`: anyone in the workspace finds and joins it; `private`: members only, added by a room admin; `dm`: a direct message (2–8 people, fixed). */
  kind: RoomKind;
  topic: string;
  createdBy: string;
  createdAt: string;
  /**
   * A direct message's people (fixed when it is opened), in `room.list` and its `room.created`;
   * a private room's first members in its `room.created` (streams admit it by them).
   */
  memberIds?: string[] | undefined;
}

export interface RoomListItem extends RoomDto {
  /** Whether the caller is a member (sees its messages live and may send). */
  joined: boolean;
  memberCount: number;
  /** The caller's role in the room (null: not a member). Room admins manage members, roles and the topic. */
  myRole: RoomRole | null;
}

export interface RoomMemberDto {
  userId: string;
  displayName: string;
  role: RoomRole;
  joinedAt: string;
}
