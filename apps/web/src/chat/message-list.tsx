import { useLayoutEffect, useRef, useState, type FormEvent } from 'react';
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
  myId: string;
  onRetry: (clientId: string) => void;
  onDiscard: (clientId: string) => void;
  /** Changes a message still waiting in the outbox; throws when it has already left. */
  onEdit: (clientId: string, body: string) => void;
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
            <MessageRow key={item.key} item={item} mine={item.authorId === props.myId} actions={props} />
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

type RowActions = Pick<MessageListProps, 'onRetry' | 'onDiscard' | 'onEdit'>;

const STATUS_LABEL = {
  queued: 'Waiting to send',
  sending: 'Sending',
  sent: 'Sent',
  failed: 'Not sent',
} as const;

/** Clock while on its way, a check once the server has it, an exclamation mark when refused. */
function StatusIcon({ status }: { status: ChatItem['status'] }) {
  const path =
    status === 'sent'
      ? 'M3 8.5l3 3 7-7'
      : status === 'failed'
        ? 'M8 3.5v5.5M8 11.5v1'
        : 'M8 4v4l2.5 1.5M8 1.75a6.25 6.25 0 1 0 0 12.5a6.25 6.25 0 1 0 0-12.5';
  return (
    <span className={`status-icon status-${status}`} role="img" aria-label={STATUS_LABEL[status]} title={STATUS_LABEL[status]}>
      <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
        <path d={path} fill="none" stroke="currentColor" strokeWidth="1.75" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
    </span>
  );
}

function MessageRow({ item, mine, actions }: { item: ChatItem; mine: boolean; actions: RowActions }) {
  const [editing, setEditing] = useState<string | null>(null);
  const [editError, setEditError] = useState<string | null>(null);

  const saveEdit = (event: FormEvent) => {
    event.preventDefault();
    try {
      actions.onEdit(item.clientId, editing ?? item.body);
      setEditing(null);
      setEditError(null);
    } catch (error) {
      setEditError(error instanceof Error ? error.message : 'Could not change the message.');
    }
  };

  return (
    <li className={`message ${item.showHeader ? 'with-header' : 'continued'} status-${item.status}`} data-status={item.status}>
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
        {editing !== null ? (
          <form className="message-edit" onSubmit={saveEdit}>
            <textarea aria-label="Edit message" value={editing} onChange={(e) => setEditing(e.target.value)} rows={2} />
            <button type="submit" className="button primary small">
              Save
            </button>
            <button type="button" className="button subtle small" onClick={() => setEditing(null)}>
              Keep as is
            </button>
            {editError && (
              <p className="error-text" role="alert">
                {editError}
              </p>
            )}
          </form>
        ) : (
          /* Text only: React escapes it; the body is never parsed as HTML. */
          <p className="message-body">
            {item.body}
            {mine && <StatusIcon status={item.status} />}
          </p>
        )}
        {item.status === 'queued' && editing === null && (
          <div className="message-status">
            <span>Waiting for the connection — </span>
            <button type="button" className="link-button" onClick={() => setEditing(item.body)}>
              Edit
            </button>
            <span aria-hidden="true"> · </span>
            <button type="button" className="link-button" onClick={() => actions.onDiscard(item.clientId)}>
              Cancel
            </button>
          </div>
        )}
        {item.status === 'failed' && (
          <div className="message-status failed" role="alert">
            <span>Not sent{item.error ? `: ${item.error}` : ''} — </span>
            <button type="button" className="link-button" onClick={() => actions.onRetry(item.clientId)}>
              Retry
            </button>
            <span aria-hidden="true"> · </span>
            <button type="button" className="link-button" onClick={() => actions.onDiscard(item.clientId)}>
              Discard
            </button>
          </div>
        )}
      </div>
    </li>
  );
}
