import type { ParleyEvent } from '../lib/trpc.ts';

/** New messages per room since it was last open, for this page's session only. */
export type UnreadCounts = Readonly<Record<string, number>>;

/** Counts a message someone else wrote in a room that is not the open one. */
export function countUnread(counts: UnreadCounts, event: ParleyEvent, at: { openRoomId: string | null; meId: string }): UnreadCounts {
  if (event.type !== 'message.created') return counts;
  const { roomId, authorId } = event.data;
  if (roomId === at.openRoomId || authorId === at.meId) return counts;
  return { ...counts, [roomId]: (counts[roomId] ?? 0) + 1 };
}

/** Opening a room reads it. */
export function markRead(counts: UnreadCounts, roomId: string): UnreadCounts {
  if (!counts[roomId]) return counts;
  const { [roomId]: _read, ...rest } = counts;
  return rest;
}

/** What waits in the rooms other than the open one: the phone's menu button shows it. */
export function unreadElsewhere(counts: UnreadCounts, openRoomId: string | null): number {
  let total = 0;
  for (const [roomId, n] of Object.entries(counts)) if (roomId !== openRoomId) total += n;
  return total;
}
