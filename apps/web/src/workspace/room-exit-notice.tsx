import { useCallback, useEffect, useRef, useState } from 'react';
import type { Route } from '../lib/route.ts';
import { roomLabel } from '../lib/rooms.ts';
import type { Room } from '../lib/trpc.ts';
import './conversations.css';

interface Notice {
  text: string;
  /** The room I was taken out of. */
  from: string;
  /** The room it was first shown in: it goes when I open another one. */
  shownIn: string | null;
}

export interface RoomExitOptions {
  partitionId: string;
  meId: string;
  activeRoomId: string | null;
  nameOf: (userId: string) => string | undefined;
  navigate: (route: Route, opts?: { replace?: boolean }) => void;
}

/**
 * Out of the room I am looking at (removed from a private room, or left in another tab): to
 * the workspace's default room, saying why ("You were removed from #secret."), until I open
 * another room or dismiss it. `onRoomLeft` goes to `usePartitionEvents`.
 */
export function useRoomExit({ partitionId, meId, activeRoomId, nameOf, navigate }: RoomExitOptions) {
  const [notice, setNotice] = useState<Notice | null>(null);
  const latest = useRef({ activeRoomId, nameOf });
  useEffect(() => {
    latest.current = { activeRoomId, nameOf };
  });
  const onRoomLeft = useCallback(
    (room: Room, removedBy: string | null) => {
      if (room.id !== latest.current.activeRoomId) return;
      const label = roomLabel(room, meId, latest.current.nameOf);
      setNotice({ text: removedBy ? `You were removed from ${label}.` : `You left ${label}.`, from: room.id, shownIn: null });
      // Replace: Back would lead into a room I am no longer in.
      navigate({ view: 'room', partitionId, roomId: null }, { replace: true });
    },
    [meId, navigate, partitionId],
  );
  useEffect(() => {
    setNotice((n) => {
      if (!n || activeRoomId === null || activeRoomId === n.from) return n;
      if (n.shownIn === null) return { ...n, shownIn: activeRoomId };
      return n.shownIn === activeRoomId ? n : null;
    });
  }, [activeRoomId]);
  return { notice: notice?.text ?? null, dismiss: useCallback(() => setNotice(null), []), onRoomLeft };
}

export function RoomExitNotice({ text, onDismiss }: { text: string; onDismiss: () => void }) {
  return (
    <div className="banner room-exit-notice" role="status">
      <span>{text}</span>
      <button type="button" className="icon-button" aria-label="Dismiss notice" onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}
