import { useEffect, useRef, type RefObject } from 'react';

/** How close to the top of the history older messages are asked for (px): before the reader gets there. */
export const LOAD_OLDER_MARGIN_PX = 300;

export interface AutoLoadOlderOptions {
  scrollerRef: RefObject<HTMLElement | null>;
  /** There is more, nothing is loading and the last attempt did not fail (then the button stays). */
  enabled: boolean;
  onLoadOlder: () => void;
  /** Changes when older messages arrive (the first message's key): look again then. */
  contentKey: string | undefined;
  /** Which end of the history the sentinel is at: `top` (older, the default) or `bottom` (newer, while reading older history). */
  edge?: 'top' | 'bottom';
}

/**
 * Loads older messages when the top of the history comes into view: an IntersectionObserver on
 * the returned sentinel where there is one (a new observer reports at once, so a page that does
 * not fill the scroller loads the next one too), else a scroll handler near `scrollTop` 0.
 * The "Load older messages" button stays as the fallback.
 */
export function useAutoLoadOlder({ scrollerRef, enabled, onLoadOlder, contentKey, edge = 'top' }: AutoLoadOlderOptions): RefObject<HTMLDivElement | null> {
  const sentinelRef = useRef<HTMLDivElement>(null);
  const load = useRef(onLoadOlder);
  useEffect(() => {
    load.current = onLoadOlder;
  });

  useEffect(() => {
    const root = scrollerRef.current;
    const sentinel = sentinelRef.current;
    if (!enabled || !root || !sentinel) return;

    if (typeof IntersectionObserver === 'function') {
      const observer = new IntersectionObserver(
        (entries) => {
          if (!entries.some((e) => e.isIntersecting)) return;
          // Once per page: the next observer comes with the next `enabled`/`contentKey`.
          observer.disconnect();
          load.current();
        },
        { root, rootMargin: edge === 'top' ? `${LOAD_OLDER_MARGIN_PX}px 0px 0px 0px` : `0px 0px ${LOAD_OLDER_MARGIN_PX}px 0px` },
      );
      observer.observe(sentinel);
      return () => observer.disconnect();
    }

    let asked = false;
    const onScroll = () => {
      const distance = edge === 'top' ? root.scrollTop : root.scrollHeight - root.scrollTop - root.clientHeight;
      if (asked || distance > LOAD_OLDER_MARGIN_PX) return;
      asked = true;
      load.current();
    };
    root.addEventListener('scroll', onScroll, { passive: true });
    return () => root.removeEventListener('scroll', onScroll);
  }, [enabled, contentKey, scrollerRef, edge]);

  return sentinelRef;
}
