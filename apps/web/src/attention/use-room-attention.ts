import { useEffect, useMemo, useRef, useState } from 'react';
import { useParleyClient, useReadState, useReceipts } from '@parley/client/react';
import { readInfo, type ReadInfo } from './receipts.ts';

interface Row {
  key: string;
  authorId: string;
  eventId: number | null;
}

/**
 * Where the "New" divider goes: before the first message by someone else past where I had read
 * the room when I opened it. Fixed while the room stays open (reading it does not move the
 * divider away under my eyes); null when nothing was unread.
 */
export function useNewDivider(partitionId: string, roomId: string, items: readonly Row[], meId: string): string | null {
  const { rooms, loaded } = useReadState(partitionId);
  const state = rooms[roomId];
  const [opened, setOpened] = useState<{ roomId: string; lastRead: number | null } | null>(null);
  // The position as it was at opening: captured once per room, as soon as it is known.
  useEffect(() => {
    if (opened?.roomId === roomId) return;
    if (!loaded) return;
    setOpened({ roomId, lastRead: state && state.unread > 0 ? state.lastRead : null });
  }, [opened, roomId, loaded, state]);
  return useMemo(() => {
    if (!opened || opened.roomId !== roomId || opened.lastRead === null) return null;
    const lastRead = opened.lastRead;
    return items.find((i) => i.eventId !== null && i.eventId > lastRead && i.authorId !== meId)?.key ?? null;
  }, [opened, roomId, items, meId]);
}

/**
 * Reads the open room while it is on screen: whenever its latest message by someone else
 * changes and the page is visible (and the view shows the latest, not older history opened at a
 * search hit), the position moves there (my own messages are never unread: sending one marks
 * nothing). The store coalesces the marks and sends them through the outbox.
 */
export function useMarkRoomRead(partitionId: string, roomId: string, items: readonly Row[], meId: string, showingLatest: boolean): void {
  const client = useParleyClient();
  let latest = 0;
  for (const item of items) if (item.eventId !== null && item.eventId > latest && item.authorId !== meId) latest = item.eventId;
  const [visible, setVisible] = useState(() => typeof document === 'undefined' || document.visibilityState !== 'hidden');
  useEffect(() => {
    const onChange = () => {
      setVisible(document.visibilityState !== 'hidden');
      // Going away: the last position goes out now, not after the coalescing wait.
      if (document.visibilityState === 'hidden') client.read.flushMarks();
    };
    document.addEventListener('visibilitychange', onChange);
    return () => document.removeEventListener('visibilitychange', onChange);
  }, [client]);
  const marked = useRef<string | null>(null);
  useEffect(() => {
    if (!visible || !showingLatest || latest === 0) return;
    const k = `${partitionId}/${roomId}/${latest}`;
    if (marked.current === k) return;
    marked.current = k;
    client.read.markRead(partitionId, roomId, latest);
  }, [client, partitionId, roomId, latest, visible, showingLatest]);
}

/**
 * Everything the open room's list needs from read state: the rows with receipts on my messages
 * (direct messages and rooms of up to 20), where the "New" divider goes, and marking the room
 * read while it is on screen.
 */
export function useRoomAttention<T extends Row & { status: string; read?: ReadInfo | undefined }>(
  partitionId: string,
  room: { id: string; kind: string; memberCount: number },
  items: readonly T[],
  meId: string,
  showingLatest: boolean,
): { items: T[]; newMarkerKey: string | null } {
  const newMarkerKey = useNewDivider(partitionId, room.id, items, meId);
  useMarkRoomRead(partitionId, room.id, items, meId, showingLatest);
  const receipts = useReceipts(partitionId, room.id);
  const shown = useMemo(() => {
    const reads = readInfo(items, receipts, { meId, others: room.memberCount - 1, dm: room.kind === 'dm' });
    return reads.size === 0 ? [...items] : items.map((item) => (reads.has(item.key) ? { ...item, read: reads.get(item.key) } : item));
  }, [items, receipts, meId, room.memberCount, room.kind]);
  return { items: shown, newMarkerKey };
}
