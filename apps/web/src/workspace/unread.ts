import type { RoomReadState } from '@parley/client';

/**
 * Unread and mention counts per room, as `client.read` keeps them (server state, the same on
 * every device of the user): see `attention/`.
 */
export type UnreadCounts = Readonly<Record<string, RoomReadState>>;

/** The counts the sidebar shows: the open room's are being read, so it shows none. */
export function shownCounts(counts: UnreadCounts, openRoomId: string | null): UnreadCounts {
  if (openRoomId === null || !counts[openRoomId]?.unread) return counts;
  const { [openRoomId]: _open, ...rest } = counts;
  return rest;
}

/** What waits in the rooms other than the open one: the phone's menu button and the tab title show it. */
export function unreadElsewhere(counts: UnreadCounts, openRoomId: string | null): number {
  let total = 0;
  for (const [roomId, state] of Object.entries(counts)) if (roomId !== openRoomId) total += state.unread;
  return total;
}
