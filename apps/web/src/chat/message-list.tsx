import { Fragment, useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { ChatItem } from './chat-items.ts';
import { MessageRow, type RowContext } from './message-row.tsx';
import { useAutoLoadOlder } from './use-auto-load-older.ts';
import '../attention/attention.css';

export interface MessageListProps {
  /** `#general`, or a direct message's people ("Ada, Grace"). */
  roomLabel: string;
  items: ChatItem[];
  hasOlder: boolean;
  loadingOlder: boolean;
  olderError: string | null;
  onLoadOlder: () => void;
  /** Actions and state every row shares. */
  rowContext: RowContext;
  /** A message to bring into view and highlight (a new `seq` each time, also for the same one). */
  jumpTarget: { messageId: string; seq: number } | null;
  /** The jump's message is not among the rows (deleted for me, or gone). */
  onJumpMissed: () => void;
  /**
   * The rows are older history opened at a message (a search hit), not the latest: newer ones
   * load at the bottom, and "Jump to latest" goes back (`onShowLatest`).
   */
  detached?: boolean;
  loadingNewer?: boolean;
  onLoadNewer?: () => void;
  onShowLatest?: () => void;
  /** The first unread message when the room was opened: a "New" divider goes before it, and the view opens there. */
  newMarkerKey?: string | null;
}

/** How close to the bottom still counts as "reading the latest" (px). */
const STICKY_BOTTOM_PX = 80;
/** How long a message jumped to stays highlighted (ms). */
const HIGHLIGHT_MS = 2000;

/**
 * Stays at the bottom while the reader is there; keeps the reader's place when older messages
 * are put in front or new ones arrive while they scroll back. The rows are one Tab stop (the
 * last focused, else the newest); the arrow keys, Home and End move between them.
 */
export function MessageList(props: MessageListProps) {
  const { items, roomLabel, jumpTarget, onJumpMissed, detached = false, newMarkerKey = null } = props;
  const scrollerRef = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const distanceFromBottomBeforeOlder = useRef<number | null>(null);
  const previous = useRef<{ first?: string | undefined; last?: string | undefined }>({});
  const [atBottom, setAtBottom] = useState(true);
  const [focusKey, setFocusKey] = useState<string | null>(null);
  const [highlighted, setHighlighted] = useState<string | null>(null);
  const handledJump = useRef<number | null>(null);

  const first = items[0]?.key;
  const lastItem = items.at(-1);
  useLayoutEffect(() => {
    const el = scrollerRef.current;
    if (!el) return;
    const before = previous.current;
    previous.current = { first, last: lastItem?.key };
    const restore = distanceFromBottomBeforeOlder.current;
    if (restore !== null && first !== before.first) {
      distanceFromBottomBeforeOlder.current = null;
      el.scrollTop = el.scrollHeight - restore;
      return;
    }
    const iJustSent = lastItem !== undefined && lastItem.key !== before.last && lastItem.status !== 'sent';
    // Older history grows at the bottom as it is read: the reader stays where they are.
    if ((stickToBottom.current && !detached) || iJustSent) el.scrollTop = el.scrollHeight;
  }, [first, lastItem, items.length, detached]);

  // After the layout effect above (which may have pinned the view to the bottom): the jump wins.
  useEffect(() => {
    if (!jumpTarget || handledJump.current === jumpTarget.seq) return;
    handledJump.current = jumpTarget.seq;
    const row = rowElements(scrollerRef.current).find((el) => el.dataset.messageId === jumpTarget.messageId);
    if (!row) {
      onJumpMissed();
      return;
    }
    stickToBottom.current = false;
    row.scrollIntoView?.({ block: 'center' });
    row.focus({ preventScroll: true });
    setHighlighted(jumpTarget.messageId);
  }, [jumpTarget, items, onJumpMissed]);

  // Opening a room with unread messages lands at the "New" divider once (a jump wins). Only
  // once per opening (the pane is made anew per room): when the first unread message is older
  // than the page shown, the divider moves up as older pages load, and landing again at each
  // move would scroll to the top and load the next older page, again and again, through the
  // room's whole history.
  const landed = useRef(false);
  useEffect(() => {
    if (!newMarkerKey || landed.current || jumpTarget) return;
    landed.current = true;
    const el = scrollerRef.current;
    const divider = el?.querySelector<HTMLElement>('.new-divider');
    if (!el || !divider) return;
    divider.scrollIntoView?.({ block: 'start' });
    const near = el.scrollHeight - el.scrollTop - el.clientHeight < STICKY_BOTTOM_PX;
    stickToBottom.current = near;
    setAtBottom(near);
  }, [newMarkerKey, jumpTarget]);

  useEffect(() => {
    if (highlighted === null) return;
    const timer = setTimeout(() => setHighlighted(null), HIGHLIGHT_MS);
    return () => clearTimeout(timer);
  }, [highlighted]);

  const onScroll = () => {
    const el = scrollerRef.current;
    if (!el) return;
    const near = el.scrollHeight - el.scrollTop - el.clientHeight < STICKY_BOTTOM_PX;
    stickToBottom.current = near;
    setAtBottom(near);
  };

  const loadOlder = () => {
    const el = scrollerRef.current;
    if (el) distanceFromBottomBeforeOlder.current = el.scrollHeight - el.scrollTop;
    props.onLoadOlder();
  };
  const sentinelRef = useAutoLoadOlder({
    scrollerRef,
    enabled: props.hasOlder && !props.loadingOlder && !props.olderError,
    onLoadOlder: loadOlder,
    contentKey: first,
  });

  const newerSentinelRef = useAutoLoadOlder({
    scrollerRef,
    enabled: detached && !props.loadingNewer && !props.olderError,
    onLoadOlder: () => props.onLoadNewer?.(),
    contentKey: lastItem?.key,
    edge: 'bottom',
  });

  const jumpToLatest = () => {
    if (detached) {
      // The latest messages replace these; the layout effect takes the reader to the bottom.
      stickToBottom.current = true;
      setAtBottom(true);
      props.onShowLatest?.();
      return;
    }
    const el = scrollerRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  };

  const onRowsKeyDown = (event: KeyboardEvent<HTMLOListElement>) => {
    const rows = rowElements(scrollerRef.current);
    const at = rows.indexOf(event.target as HTMLLIElement);
    // Only a focused row itself: keys inside a toolbar, a picker or an edit field are theirs.
    if (at < 0) return;
    const next = { ArrowUp: at - 1, ArrowDown: at + 1, Home: 0, End: rows.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    rows[Math.max(0, Math.min(rows.length - 1, next))]?.focus();
  };

  const tabbableKey = focusKey !== null && items.some((i) => i.key === focusKey) ? focusKey : lastItem?.key;
  const onFocusRow = useCallback((key: string) => setFocusKey(key), []);

  return (
    <div className="message-area">
      <div className="message-scroller" ref={scrollerRef} onScroll={onScroll} tabIndex={0} role="region" aria-label={`Message history of ${roomLabel}`}>
        <div className="history-edge">
          <div ref={sentinelRef} className="history-sentinel" aria-hidden="true" />
          {props.hasOlder ? (
            <button type="button" className="button subtle" onClick={loadOlder} disabled={props.loadingOlder}>
              {props.loadingOlder ? 'Loading…' : 'Load older messages'}
            </button>
          ) : (
            <p className="room-start">{items.length ? `This is the beginning of ${roomLabel}.` : `No messages in ${roomLabel} yet. Say hello!`}</p>
          )}
          {props.olderError && (
            <p className="error-text" role="alert">
              {props.olderError}
            </p>
          )}
        </div>
        <ol className="messages" aria-label={`Messages in ${roomLabel}`} onKeyDown={onRowsKeyDown}>
          {items.map((item) => (
            <Fragment key={item.key}>
              {item.key === newMarkerKey && (
                <li className="new-divider" role="separator" aria-label="New messages">
                  New
                </li>
              )}
              <MessageRow
                item={item}
                ctx={props.rowContext}
                tabbable={item.key === tabbableKey}
                highlighted={item.id !== null && item.id === highlighted}
                onFocusRow={onFocusRow}
              />
            </Fragment>
          ))}
        </ol>
        {detached && (
          <div className="history-newer-edge">
            <button type="button" className="button subtle" onClick={props.onLoadNewer} disabled={props.loadingNewer}>
              {props.loadingNewer ? 'Loading…' : 'Load newer messages'}
            </button>
            <div ref={newerSentinelRef} className="history-sentinel" aria-hidden="true" />
          </div>
        )}
      </div>
      {(detached || !atBottom) && (
        <button type="button" className="button jump-latest" onClick={jumpToLatest}>
          Jump to latest ↓
        </button>
      )}
    </div>
  );
}

function rowElements(scroller: HTMLElement | null): HTMLLIElement[] {
  return scroller ? [...scroller.querySelectorAll<HTMLLIElement>('li[data-row-key]')] : [];
}
