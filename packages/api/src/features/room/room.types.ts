export interface RoomDto {
  id: string;
  partitionId: string;
  name: string;
  createdBy: string;
  createdAt: string;
}

export interface RoomListItem extends RoomDto {
  /** Whether the caller is a member (sees its messages live and may send). */
  joined: boolean;
  memberCount: number;
}
