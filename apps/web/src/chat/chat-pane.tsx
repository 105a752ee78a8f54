import { useCallback, useEffect, useMemo, useState } from 'react';
import { useMessageActions, useParleyClient, useRoomMessages, useSend, useTyping } from '@parley/client/react';
import { canWrite, trpc, type Me, type Partition, type Room } from '../lib/trpc.ts';
import { canManageRoom, roomLabel } from '../lib/rooms.ts';
import { AnnouncementBanner } from '../workspace/announcements.tsx';
import { PaneHeader } from '../workspace/pane-header.tsx';
import { RoomMembersPanel } from '../workspace/room-members-panel.tsx';
import { RoomTopic } from '../workspace/room-topic.tsx';
import { AttachButton } from '../attachments/attach-button.tsx';
import { StagedFileChip } from '../attachments/staged-file-chip.tsx';
import { useFileDrop } from '../attachments/use-file-drop.ts';
import { useStagedFile } from '../attachments/use-staged-file.ts';
import { useRoomAttention } from '../attention/use-room-attention.ts';
import { toChatItems } from './chat-items.ts';
import { Composer } from './composer.tsx';
import { ConfirmDialog } from './confirm-dialog.tsx';
import { MessageList } from './message-list.tsx';
import type { RoomAbilities } from './message-permissions.ts';
import { PinsPanel } from './pins-panel.tsx';
import { MentionScope } from '../mentions/mention-context.tsx';
import { RoomNotifyMenu } from '../notifications/room-notify-menu.tsx';
import { TypingIndicator } from './typing-indicator.tsx';
import { useAnnouncer } from './use-announcer.ts';
import { HIT_NOT_FOUND, useChatInteractions } from './use-chat-interactions.ts';

export interface ChatPaneProps {
  me: Me;
  partition: Partition;
  room: Room;
  /** Open at this message (a search hit): the history around it, the message brought into view and highlighted. */
  focusMessageId?: string | undefined;
  /** Leave the older history a search hit opened (the route drops its message). */
  onShowLatest?: (() => void) | undefined;
  onOpenSidebar: () => void;
  /** Absent for rooms nobody may leave (#general). */
  onLeave?: (() => void) | undefined;
  leaving?: boolean;
  leaveError?: string | null;
}

export function ChatPane({ me, partition, room, focusMessageId, onShowLatest, onOpenSidebar, onLeave, leaving = false, leaveError = null }: ChatPaneProps) {
  const view = useRoomMessages(partition.id, room.id);
  const client = useParleyClient();
  // Stable, unlike `useOutbox()`'s (a new object on every outbox change would re-render every row).
  const outbox = useMemo(
    () => ({
      edit: (clientId: string, body: string) => client.outbox.edit(clientId, body),
      retry: (clientId: string) => client.outbox.retry(clientId),
      cancel: (clientId: string) => client.outbox.cancel(clientId),
    }),
    [client],
  );
  const send = useSend(partition.id, room.id, { id: me.id, name: me.displayName });
  const typing = useTyping(partition.id, room.id);
  const actions = useMessageActions(partition.id);
  const members = trpc.partition.members.useQuery({ partitionId: partition.id });
  const nameOf = useCallback((userId: string) => members.data?.find((m) => m.userId === userId)?.displayName ?? 'Someone', [members.data]);

  const items = useMemo(() => toChatItems(view.messages, me), [view.messages, me]);
  const loaded = view.status === 'ready';
  const announcement = useAnnouncer(items, loaded, me.id);
  const memberCount = `${room.memberCount} ${room.memberCount === 1 ? 'member' : 'members'}`;
  const label = roomLabel(room, me.id, (userId) => members.data?.find((m) => m.userId === userId)?.displayName);
  const [showMembers, setShowMembers] = useState(false);
  const [showPins, setShowPins] = useState(false);
  const isDm = room.kind === 'dm';
  const writer = canWrite(partition.role);
  const staged = useStagedFile(me.limits?.mediaMaxBytes ?? client.uploads.maxBytes);
  const drop = useFileDrop(staged.attach, writer && room.joined);

  const abilities = useMemo<RoomAbilities>(
    () => ({ myId: me.id, canWrite: writer && room.joined, inRoom: room.joined, canModerate: canManageRoom(room, partition.role) }),
    [me.id, writer, room, partition.role],
  );
  const chat = useChatInteractions({ items, room: abilities, nameOf, actions, outbox, loadUntil: view.jumpTo });
  const confirming = chat.confirming;
  const { showAround, showLatest, detached } = view;
  const attention = useRoomAttention(partition.id, room, items, me.id, !detached && !focusMessageId);
  const jumpTo = chat.jumpTo;
  // The route decides: at a message (a search hit), the history around it; else the latest.
  useEffect(() => {
    if (focusMessageId) void jumpTo(focusMessageId, { load: showAround, notFound: HIT_NOT_FOUND });
    else showLatest();
  }, [focusMessageId, jumpTo, showAround, showLatest]);
  const backToLatest = useCallback(() => {
    showLatest();
    onShowLatest?.();
  }, [showLatest, onShowLatest]);

  return (
    <MentionScope partitionId={partition.id} room={room} meId={me.id} role={partition.role}>
      <section className={drop.over ? 'chat-pane dropping' : 'chat-pane'} aria-label={label} {...drop.handlers}>
        {drop.over && (
          <div className="drop-overlay" aria-hidden="true">
            Drop to attach
          </div>
        )}
        <AnnouncementBanner partitionId={partition.id} />
        <PaneHeader title={label} subtitle={memberCount} onOpenSidebar={onOpenSidebar}>
          <RoomNotifyMenu partitionId={partition.id} room={room} />
          <button type="button" className="button subtle" aria-expanded={showPins} onClick={() => setShowPins((on) => !on)}>
            Pinned
          </button>
          {/* A direct message's people are fixed, and its name says who they are. */}
          {!isDm && (
            <button type="button" className="button subtle" aria-expanded={showMembers} onClick={() => setShowMembers((on) => !on)}>
              Members
            </button>
          )}
          {onLeave && (
            <button type="button" className="button subtle" onClick={onLeave} disabled={leaving}>
              {leaving ? 'Leaving…' : 'Leave room'}
            </button>
          )}
        </PaneHeader>
        {!isDm && <RoomTopic partitionId={partition.id} room={room} canEdit={canManageRoom(room, partition.role)} />}
        {showMembers && !isDm && (
          <RoomMembersPanel
            partitionId={partition.id}
            room={room}
            me={{ id: me.id, role: partition.role }}
            workspaceMembers={members.data}
            onClose={() => setShowMembers(false)}
          />
        )}
        {showPins && (
          <PinsPanel
            partitionId={partition.id}
            roomId={room.id}
            roomLabel={label}
            nameOf={nameOf}
            actions={abilities.canWrite ? actions : null}
            onJump={(messageId) => void chat.jumpTo(messageId)}
            onClose={() => setShowPins(false)}
          />
        )}
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
            roomLabel={label}
            items={attention.items}
            newMarkerKey={attention.newMarkerKey}
            hasOlder={view.hasOlder}
            loadingOlder={view.loadingOlder}
            olderError={view.status === 'ready' ? view.error : null}
            onLoadOlder={() => void view.loadOlder()}
            rowContext={chat.rowContext}
            jumpTarget={chat.jumpTarget}
            onJumpMissed={chat.jumpMissed}
            detached={detached}
            loadingNewer={view.loadingNewer}
            onLoadNewer={() => void view.loadNewer()}
            onShowLatest={backToLatest}
          />
        )}
        {chat.notice && (
          <p className="jump-notice" role="status">
            {chat.notice}
          </p>
        )}
        <TypingIndicator users={typing.users} nameOf={nameOf} />
        <div className="visually-hidden" aria-live="polite" aria-atomic="true">
          {announcement}
        </div>
        <Composer
          roomLabel={label}
          inputRef={chat.composerRef}
          onTyping={typing.signal}
          replyingTo={chat.replyingTo}
          onCancelReply={chat.cancelReply}
          onEditLast={chat.editLast}
          tools={<AttachButton onFiles={staged.attach} />}
          hasFile={staged.file !== null}
          onPasteFiles={staged.attach}
          attachment={
            (staged.file || staged.error) && (
              <div className="composer-attachment">
                {staged.file && <StagedFileChip file={staged.file} onRemove={staged.clear} />}
                {staged.error && (
                  <p className="hint error-text" role="alert">
                    {staged.error}
                  </p>
                )}
              </div>
            )
          }
          onSend={(body) => {
            // What I send goes to the latest messages: show them.
            if (detached) backToLatest();
            typing.stop();
            try {
              send(body, { replyTo: chat.replyingTo?.id, attachment: staged.file ? { file: staged.file } : null });
              staged.clear();
            } catch (error) {
              staged.fail(error instanceof Error ? error.message : 'That could not be sent.');
              return;
            }
            chat.cancelReply();
          }}
          disabledReason={writer ? null : 'Viewers can read but not write in this workspace.'}
        />
        {confirming && (
          <ConfirmDialog
            title="Delete this message for everyone?"
            description={`Everyone in ${label} will see “This message was deleted” in its place. This cannot be undone.`}
            confirmLabel="Delete"
            onCancel={chat.cancelConfirm}
            onConfirm={() => {
              chat.cancelConfirm();
              if (confirming.id) actions.delete(confirming.id, 'everyone');
            }}
          />
        )}
      </section>
    </MentionScope>
  );
}
