import { useCallback, useMemo } from 'react';
import { useOutbox, useRoomMessages, useSend, useTyping } from '@parley/client/react';
import { canWrite, trpc, type Me, type Partition, type Room } from '../lib/trpc.ts';
import { PaneHeader } from '../workspace/pane-header.tsx';
import { toChatItems } from './chat-items.ts';
import { Composer } from './composer.tsx';
import { MessageList } from './message-list.tsx';
import { TypingIndicator } from './typing-indicator.tsx';
import { useAnnouncer } from './use-announcer.ts';

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
  const view = useRoomMessages(partition.id, room.id);
  const outbox = useOutbox(partition.id);
  const send = useSend(partition.id, room.id, { id: me.id, name: me.displayName });
  const typing = useTyping(partition.id, room.id);
  const members = trpc.partition.members.useQuery({ partitionId: partition.id });
  const nameOf = useCallback(
    (userId: string) => members.data?.find((m) => m.userId === userId)?.displayName ?? 'Someone',
    [members.data],
  );

  const items = useMemo(() => toChatItems(view.messages, me), [view.messages, me]);
  const loaded = view.status === 'ready';
  const announcement = useAnnouncer(items, loaded, me.id);
  const memberCount = `${room.memberCount} ${room.memberCount === 1 ? 'member' : 'members'}`;

  return (
    <section className="chat-pane" aria-label={`#${room.name}`}>
      <PaneHeader title={`#${room.name}`} subtitle={memberCount} onOpenSidebar={onOpenSidebar}>
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
      {view.status !== 'ready' && items.length === 0 ? (
        <div className="message-area placeholder">
          {view.status === 'error' ? (
            <>
              <p className="error-text" role="alert">
                {view.error}
              </p>
              <button type="button" className="button" onClick={() => void view.reload()}>
                Try again
              </button>
            </>
          ) : (
            <p className="muted">Loading messages…</p>
          )}
        </div>
      ) : (
        <MessageList
          roomName={room.name}
          items={items}
          myId={me.id}
          hasOlder={view.hasOlder}
          loadingOlder={view.loadingOlder}
          olderError={view.status === 'ready' ? view.error : null}
          onLoadOlder={() => void view.loadOlder()}
          onRetry={outbox.retry}
          onDiscard={outbox.cancel}
          onEdit={outbox.edit}
        />
      )}
      <TypingIndicator users={typing.users} nameOf={nameOf} />
      <div className="visually-hidden" aria-live="polite" aria-atomic="true">
        {announcement}
      </div>
      <Composer
        roomName={room.name}
        onTyping={typing.signal}
        onSend={(body) => {
          typing.stop();
          void send(body);
        }}
        disabledReason={canWrite(partition.role) ? null : 'Viewers can read but not write in this workspace.'}
      />
    </section>
  );
}
