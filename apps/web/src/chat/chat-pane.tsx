import { useMemo } from 'react';
import { errorMessage } from '../lib/errors.ts';
import { canWrite, type Me, type Partition, type Room } from '../lib/trpc.ts';
import { PaneHeader } from '../workspace/pane-header.tsx';
import { toChatItems } from './chat-items.ts';
import { Composer } from './composer.tsx';
import { MessageList } from './message-list.tsx';
import { useAnnouncer } from './use-announcer.ts';
import { usePendingMessages } from './use-pending-messages.ts';
import { useRoomMessages } from './use-room-messages.ts';
import { useSendMessage } from './use-send-message.ts';

export interface ChatPaneProps {
  me: Me;
  partition: Partition;
  room: Room;
  onOpenSidebar: () => void;
  /** Absent for rooms nobody may leave (#general). */
  onLeave?: (() => void) | undefined;
  leaving?: boolean;
  leaveError?: string | null;
}

export function ChatPane({ me, partition, room, onOpenSidebar, onLeave, leaving = false, leaveError = null }: ChatPaneProps) {
  const messages = useRoomMessages(partition.id, room.id);
  const { pending } = usePendingMessages();
  const sender = useSendMessage(partition.id);

  const confirmed = messages.query.data?.messages;
  const items = useMemo(
    () =>
      toChatItems(
        confirmed ?? [],
        pending.filter((p) => p.roomId === room.id),
        me,
      ),
    [confirmed, pending, room.id, me],
  );
  const announcement = useAnnouncer(items, messages.query.isSuccess, me.id);
  const byClientId = (clientId: string) => pending.find((p) => p.clientId === clientId);

  const members = `${room.memberCount} ${room.memberCount === 1 ? 'member' : 'members'}`;

  return (
    <section className="chat-pane" aria-label={`#${room.name}`}>
      <PaneHeader title={`#${room.name}`} subtitle={members} onOpenSidebar={onOpenSidebar}>
        {onLeave && (
          <button type="button" className="button subtle" onClick={onLeave} disabled={leaving}>
            {leaving ? 'Leaving…' : 'Leave room'}
          </button>
        )}
      </PaneHeader>
      {leaveError && (
        <p className="banner error" role="alert">
          {leaveError}
        </p>
      )}
      {messages.query.isPending ? (
        <div className="message-area placeholder">
          <p className="muted">Loading messages…</p>
        </div>
      ) : messages.query.isError && !messages.query.data ? (
        <div className="message-area placeholder">
          <p className="error-text" role="alert">
            {errorMessage(messages.query.error)}
          </p>
          <button type="button" className="button" onClick={() => void messages.query.refetch()}>
            Try again
          </button>
        </div>
      ) : (
        <MessageList
          roomName={room.name}
          items={items}
          hasOlder={messages.hasOlder}
          loadingOlder={messages.loadingOlder}
          olderError={messages.olderError}
          onLoadOlder={() => void messages.loadOlder()}
          onRetry={(clientId) => {
            const message = byClientId(clientId);
            if (message) sender.retry(message);
          }}
          onDiscard={sender.discard}
        />
      )}
      <div className="visually-hidden" aria-live="polite" aria-atomic="true">
        {announcement}
      </div>
      <Composer
        roomName={room.name}
        onSend={(body) => sender.send(room.id, body)}
        disabledReason={canWrite(partition.role) ? null : 'Viewers can read but not write in this workspace.'}
      />
    </section>
  );
}
