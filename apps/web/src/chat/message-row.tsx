import { memo, useRef, useState, type FocusEvent, type KeyboardEvent } from 'react';
import type { MessageActionsView } from '@parley/client/react';
import { mentionsUser } from '@parley/client';
import { formatFullTime, formatMessageTime } from '../lib/format-time.ts';
import { PersonAvatar, PersonName, PersonStatus } from '../profile/person.tsx';
import { AttachmentView } from '../attachments/attachment-view.tsx';
import { ReadMark } from '../attention/read-mark.tsx';
import { BlockedMessage } from './blocked-message.tsx';
import type { ChatItem } from './chat-items.ts';
import { hasActions, MessageActionSheet, MessageToolbar, type ActionHandlers } from './message-actions.tsx';
import { MessageBody } from './message-body.tsx';
import { MessageEditForm } from './message-edit-form.tsx';
import { messageAbilities, type RoomAbilities } from './message-permissions.ts';
import { Reactions } from './reactions.tsx';
import { ReplyQuote } from './reply-quote.tsx';
import { SendWaitNote } from './send-wait-note.tsx';
import { useLongPress } from './use-long-press.ts';
import { useNow } from './use-now.ts';

/** What every row needs from the chat pane (one object, the same while nothing in it changes). */
export interface RowContext {
  room: RoomAbilities;
  nameOf: (userId: string) => string;
  actions: MessageActionsView;
  /** The row being edited in place (Edit, or Up-arrow in the composer). */
  editingKey: string | null;
  onStartEdit: (key: string) => void;
  onEndEdit: () => void;
  /** A queued message through the outbox, a sent one as an edit op; throws when it cannot. */
  onSaveEdit: (item: ChatItem, body: string) => void;
  onReply: (item: ChatItem) => void;
  onJumpTo: (messageId: string) => void;
  /** Asks first. */
  onDeleteForEveryone: (item: ChatItem) => void;
  onRetry: (clientId: string) => void;
  onDiscard: (clientId: string) => void;
}

export interface MessageRowProps {
  item: ChatItem;
  ctx: RowContext;
  /** The row the Tab key reaches (one per list: the others by the arrow keys). */
  tabbable: boolean;
  /** Just jumped to: shown highlighted for a moment. */
  highlighted: boolean;
  onFocusRow: (key: string) => void;
}

const STATUS_LABEL = {
  queued: 'Waiting to send',
  sending: 'Sending',
  sent: 'Sent',
  failed: 'Not sent',
} as const;

/** Clock while on its way, a check once the server has it, an exclamation mark when refused. */
function StatusIcon({ status }: { status: ChatItem['status'] }) {
  const path =
    status === 'sent' ? 'M3 8.5l3 3 7-7' : status === 'failed' ? 'M8 3.5v5.5M8 11.5v1' : 'M8 4v4l2.5 1.5M8 1.75a6.25 6.25 0 1 0 0 12.5a6.25 6.25 0 1 0 0-12.5';
  return (
    <span className={`status-icon status-${status}`} role="img" aria-label={STATUS_LABEL[status]} title={STATUS_LABEL[status]}>
      <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
        <path d={path} fill="none" stroke="currentColor" strokeWidth="1.75" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
    </span>
  );
}

function errorText(error: unknown): string {
  return error instanceof Error && error.message ? error.message : 'That did not work.';
}

/**
 * One message: its header, the quote it answers, the text (or a tombstone, or collapsed when I
 * blocked the author), "(edited)", reactions, and what my changes to it are doing. Its actions:
 * a toolbar while hovered or focused (desktop, keyboard), a sheet on a long press (phones).
 */
export const MessageRow = memo(function MessageRow({ item, ctx, tabbable, highlighted, onFocusRow }: MessageRowProps) {
  const rowRef = useRef<HTMLLIElement>(null);
  const [hovered, setHovered] = useState(false);
  const [focused, setFocused] = useState(false);
  const [dismissed, setDismissed] = useState(false);
  const [sheet, setSheet] = useState(false);
  const [revealed, setRevealed] = useState(false);
  const [localError, setLocalError] = useState<string | null>(null);

  const mine = item.authorId === ctx.room.myId;
  const editing = ctx.editingKey === item.key;
  const collapsed = item.authorBlocked && !revealed;
  const toolbarWanted = (hovered || focused) && !dismissed && !editing && !sheet && !collapsed;
  // The edit countdown ticks only while actions are on screen.
  const now = useNow(1000, toolbarWanted || sheet);
  const abilities = messageAbilities(item, ctx.room, now);
  const offersActions = !collapsed && !editing && hasActions(abilities);
  const longPress = useLongPress(() => setSheet(true), { enabled: offersActions && !sheet });

  const attempt = (action: () => unknown) => {
    setLocalError(null);
    try {
      action();
    } catch (error) {
      setLocalError(errorText(error));
    }
  };
  const id = item.id ?? '';
  const handlers: ActionHandlers = {
    onReact: (emoji) => attempt(() => ctx.actions.toggleReaction({ id: item.id, reactions: item.reactions }, emoji)),
    onReply: () => ctx.onReply(item),
    onEdit: () => ctx.onStartEdit(item.key),
    onDeleteForEveryone: () => ctx.onDeleteForEveryone(item),
    onDeleteForMe: () => attempt(() => ctx.actions.delete(id, 'me')),
    onPin: () => attempt(() => ctx.actions.pin(id)),
    onUnpin: () => attempt(() => ctx.actions.unpin(id)),
  };

  const focusRow = () => rowRef.current?.focus({ preventScroll: true });
  const inside = (event: FocusEvent) => event.relatedTarget instanceof Node && rowRef.current?.contains(event.relatedTarget) === true;

  const onKeyDown = (event: KeyboardEvent<HTMLLIElement>) => {
    if (event.target !== event.currentTarget || event.key !== 'Escape' || dismissed) return;
    event.preventDefault();
    setDismissed(true);
  };

  const error = item.opError ?? localError;
  const className = [
    'message',
    item.showHeader && !collapsed ? 'with-header' : 'continued',
    `status-${item.status}`,
    item.deletedAt ? 'deleted' : '',
    item.pinnedAt ? 'pinned' : '',
    highlighted ? 'highlighted' : '',
    // Someone else's message that mentions me (or @room).
    !mine && mentionsUser(item.mentions, ctx.room.myId) ? 'mentions-me' : '',
    toolbarWanted && offersActions ? 'actions-open' : '',
  ]
    .filter(Boolean)
    .join(' ');

  const pinnedMark = item.pinnedAt && (
    <span className="pinned-mark" title={item.pinnedBy ? `Pinned by ${ctx.nameOf(item.pinnedBy)}` : 'Pinned'}>
      <span aria-hidden="true">📌 </span>Pinned
    </span>
  );
  const trailing = (
    <>
      {item.editedAt && (
        <>
          {' '}
          <span className="edited-mark" title={`Edited ${formatFullTime(item.editedAt)}`}>
            (edited)
          </span>
        </>
      )}
      {item.pendingOps > 0 && (
        <>
          {' '}
          <span className="saving-mark">saving…</span>
        </>
      )}
      {mine && (item.read ? <ReadMark info={item.read} part="icon" /> : <StatusIcon status={item.status} />)}
    </>
  );

  return (
    <li
      ref={rowRef}
      className={className}
      data-status={item.status}
      data-message-id={item.id ?? undefined}
      data-row-key={item.key}
      tabIndex={tabbable ? 0 : -1}
      onMouseEnter={() => {
        setHovered(true);
        setDismissed(false);
      }}
      onMouseLeave={() => setHovered(false)}
      onFocus={(event) => {
        if (!inside(event)) setDismissed(false);
        setFocused(true);
        onFocusRow(item.key);
      }}
      onBlur={(event) => {
        if (!inside(event)) setFocused(false);
      }}
      onKeyDown={onKeyDown}
      {...longPress}
    >
      {/* First in the row: Tab from a focused message goes into its actions. */}
      {toolbarWanted && offersActions && (
        <MessageToolbar
          abilities={abilities}
          handlers={handlers}
          onClose={() => {
            setDismissed(true);
            focusRow();
          }}
        />
      )}
      {item.showHeader && !collapsed ? <PersonAvatar userId={item.authorId} name={item.authorName} /> : <span className="avatar-space" />}
      <div className="message-content">
        {collapsed ? (
          <BlockedMessage onShow={() => setRevealed(true)} />
        ) : (
          <>
            {item.showHeader ? (
              <div className="message-header">
                <PersonName className="author" userId={item.authorId} fallback={item.authorName} />
                <PersonStatus userId={item.authorId} className="person-status author-status" />
                <time dateTime={item.createdAt} title={formatFullTime(item.createdAt)}>
                  {formatMessageTime(item.createdAt)}
                </time>
                {pinnedMark}
              </div>
            ) : (
              pinnedMark && <div className="message-header">{pinnedMark}</div>
            )}
            {item.replyTo && <ReplyQuote replyTo={item.replyTo} onJump={ctx.onJumpTo} />}
            {editing ? (
              <MessageEditForm initial={item.body} onSave={(body) => ctx.onSaveEdit(item, body)} onCancel={ctx.onEndEdit} />
            ) : item.deletedAt ? (
              <p className="message-body tombstone">This message was deleted</p>
            ) : (
              /* The safe Markdown subset as React elements: never parsed as HTML. */
              <MessageBody className="message-body" body={item.body} trailing={trailing} />
            )}
            {mine && item.read && !item.deletedAt && <ReadMark info={item.read} part="names" />}
            {item.attachment && !item.deletedAt && (
              <AttachmentView attachment={item.attachment} status={item.status} onCancel={() => ctx.onDiscard(item.clientId)} />
            )}
            <Reactions reactions={item.reactions} nameOf={ctx.nameOf} onToggle={abilities.react ? (emoji) => handlers.onReact(emoji) : undefined} />
            {item.authorBlocked && (
              <button type="button" className="link-button blocked-hide" onClick={() => setRevealed(false)}>
                Hide again
              </button>
            )}
            {error && (
              <div className="message-status failed" role="alert">
                <span>{error} </span>
                <button
                  type="button"
                  className="link-button"
                  onClick={() => {
                    if (item.opError && item.opErrorId) ctx.actions.dismissError(item.opErrorId);
                    setLocalError(null);
                  }}
                >
                  Dismiss
                </button>
              </div>
            )}
            {item.status === 'queued' && !editing && (
              <div className="message-status">
                <SendWaitNote clientId={item.clientId} />
                <button type="button" className="link-button" onClick={() => ctx.onStartEdit(item.key)}>
                  Edit
                </button>
                <span aria-hidden="true"> · </span>
                <button type="button" className="link-button" onClick={() => ctx.onDiscard(item.clientId)}>
                  Cancel
                </button>
              </div>
            )}
            {item.status === 'failed' && (
              <div className="message-status failed" role="alert">
                <span>Not sent{item.error ? `: ${item.error}` : ''} — </span>
                <button type="button" className="link-button" onClick={() => ctx.onRetry(item.clientId)}>
                  Retry
                </button>
                <span aria-hidden="true"> · </span>
                <button type="button" className="link-button" onClick={() => ctx.onDiscard(item.clientId)}>
                  Discard
                </button>
              </div>
            )}
          </>
        )}
      </div>
      {sheet && (
        <MessageActionSheet
          abilities={abilities}
          handlers={handlers}
          onClose={() => {
            setSheet(false);
            focusRow();
          }}
        />
      )}
    </li>
  );
});
