import { markdownToText, replySnippet } from '@parley/client';
import { usePins, type MessageActionsView } from '@parley/client/react';
import { formatFullTime, formatMessageTime } from '../lib/format-time.ts';

export interface PinsPanelProps {
  partitionId: string;
  roomId: string;
  roomLabel: string;
  nameOf: (userId: string) => string;
  /** Members and up may unpin (as they may pin). */
  actions: MessageActionsView | null;
  onJump: (messageId: string) => void;
  onClose: () => void;
}

/**
 * The room's pinned messages, most recently pinned first (also those far back in its history),
 * each with "Jump" to it in the history and, for members, "Unpin".
 */
export function PinsPanel({ partitionId, roomId, roomLabel, nameOf, actions, onJump, onClose }: PinsPanelProps) {
  const pins = usePins(partitionId, roomId);
  return (
    <aside className="pins-panel" aria-label={`Pinned messages in ${roomLabel}`}>
      <div className="section-heading">
        <h2>Pinned messages</h2>
        <button type="button" className="icon-button" aria-label="Close pinned messages" onClick={onClose}>
          ×
        </button>
      </div>
      {pins.messages.length === 0 ? (
        <p className="muted">Nothing is pinned in {roomLabel} yet.</p>
      ) : (
        <ul className="pin-list">
          {pins.messages.map((m) => (
            <li key={m.key}>
              <p className="pin-meta">
                <span className="author">{m.authorBlocked ? 'A blocked user' : m.authorName}</span>{' '}
                <time dateTime={m.createdAt} title={formatFullTime(m.createdAt)}>
                  {formatMessageTime(m.createdAt)}
                </time>
                {m.pinnedBy && <span className="muted"> · pinned by {nameOf(m.pinnedBy)}</span>}
              </p>
              <p className="pin-snippet" dir="auto">
                {m.authorBlocked ? 'Message from a blocked user' : markdownToText(replySnippet(m.body))}
              </p>
              <div className="pin-actions">
                {m.id && (
                  <button type="button" className="link-button" onClick={() => onJump(m.id!)}>
                    Jump
                  </button>
                )}
                {actions && m.id && (
                  <>
                    <span aria-hidden="true"> · </span>
                    <button type="button" className="link-button" onClick={() => actions.unpin(m.id!)}>
                      Unpin
                    </button>
                  </>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}
