import { useEffect, useRef, useState } from 'react';
import type { ChatItem } from './chat-items.ts';

const MAX_ANNOUNCED_CHARS = 200;

/**
 * Text for an aria-live region: the newest message when someone else's arrives. Not what the
 * first load shows, not older pages, not my own messages (I just typed them).
 */
export function useAnnouncer(items: readonly ChatItem[], loaded: boolean, myId: string): string {
  const [announcement, setAnnouncement] = useState('');
  // undefined until the first load has been seen.
  const lastKey = useRef<string | null | undefined>(undefined);
  const last = items.at(-1);
  useEffect(() => {
    if (!loaded) return;
    const previousKey = lastKey.current;
    lastKey.current = last?.key ?? null;
    if (previousKey === undefined || !last || last.key === previousKey) return;
    if (last.status !== 'sent' || last.authorId === myId) return;
    const body = last.body.length > MAX_ANNOUNCED_CHARS ? `${last.body.slice(0, MAX_ANNOUNCED_CHARS)}…` : last.body;
    setAnnouncement(`New message from ${last.authorName}: ${body}`);
  }, [last, loaded, myId]);
  return announcement;
}
