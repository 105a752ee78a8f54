import { useLayoutEffect, useRef, useState } from 'react';
import { formatFullTime, formatMessageTime } from '../lib/format-time.ts';
import { Avatar } from './avatar.tsx';
import type { ChatItem } from './chat-items.ts';

export interface MessageListProps {
  roomName: string;
  items: ChatItem[];
  hasOlder: boolean;
  loadingOlder: boolean;
  olderError: string | null;
  onLoadOlder: () => void;
  onRetry: (clientId: string) => void;
  onDiscard: (clientId: string) => void;
}

/** How close to the bottom still counts as "reading the latest" (px). */
const STICKY_BOTTOM_PX = 80;

/**
 * Stays at the bottom while the reader is there; keeps the reader's place when older messages
 * are put in front or new ones arrive while they scroll back.
 */
export function MessageList(props: MessageListProps) {
  const { items, roomName } = props;
  const scrollerRef = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const distanceFromBottomBeforeOlder = useRef<number | null>(null);
  const previous = useRef<{ first?: string | undefined; last?: string | undefined }>({});
  const [atBottom, setAtBottom] = useState(true);

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
    if (stickToBottom.current || iJustSent) el.scrollTop = el.scrollHeight;
  }, [first, lastItem, items.length]);

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

  const jumpToLatest = () => {
    const el = scrollerRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  };

  return (
    <div className="message-area">
      <div className="message-scroller" ref={scrollerRef} onScroll={onScroll}>
        <div className="history-edge">
          {props.hasOlder ? (
            <button type="button" className="button subtle" onClick={loadOlder} disabled={props.loadingOlder}>
              {props.loadingOlder ? 'Loading…' : 'Load older messages'}
            </button>
          ) : (
            <p className="room-start">
              {items.length ? `This is the beginning of #${roomName}.` : `No messages in #${roomName} yet. Say hello!`}
            </p>
          )}
          {props.olderError && (
            <p className="error-text" role="alert">
              {props.olderError}
            </p>
          )}
        </div>
        <ol className="messages" aria-label={`Messages in #${roomName}`}>
          {items.map((item) => (
            <MessageRow key={item.key} item={item} onRetry={props.onRetry} onDiscard={props.onDiscard} />
          ))}
        </ol>
      </div>
      {!atBottom && (
        <button type="button" className="button jump-latest" onClick={jumpToLatest}>
          Jump to latest ↓
        </button>
      )}
    </div>
  );
}

function MessageRow({
  item,
  onRetry,
  onDiscard,
}: {
  item: ChatItem;
  onRetry: (clientId: string) => void;
  onDiscard: (clientId: string) => void;
}) {
  return (
    <li className={`message ${item.showHeader ? 'with-header' : 'continued'} status-${item.status}`}>
      {item.showHeader ? <Avatar id={item.authorId} name={item.authorName} /> : <span className="avatar-space" />}
      <div className="message-content">
        {item.showHeader && (
          <div className="message-header">
            <span className="author">{item.authorName}</span>
            <time dateTime={item.createdAt} title={formatFullTime(item.createdAt)}>
              {formatMessageTime(item.createdAt)}
            </time>
          </div>
        )}
        {/* Text only: React escapes it; the body is never parsed as HTML. */}
        <p className="message-body">{item.body}</p>
        {item.status === 'sending' && <span className="message-status">sending…</span>}
        {item.status === 'failed' && (
          <div className="message-status failed" role="alert">
            <span>Failed{item.error ? `: ${item.error}` : ''} — </span>
            <button type="button" className="link-button" onClick={() => onRetry(item.clientId)}>
              Retry
            </button>
            <span aria-hidden="true"> · </span>
            <button type="button" className="link-button" onClick={() => onDiscard(item.clientId)}>
              Discard
            </button>
          </div>
        )}
      </div>
    </li>
  );
}
