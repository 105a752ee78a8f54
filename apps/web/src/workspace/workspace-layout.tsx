import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useProfiles, useReadState } from '@parley/client/react';
import { ChatPane } from '../chat/chat-pane.tsx';
import { errorMessage } from '../lib/errors.ts';
import { parseRoute, type Route, type WorkspaceRoute } from '../lib/route.ts';
import { NotificationCenter } from '../notifications/notification-center.tsx';
import { DEFAULT_ROOM_NAME, isDefaultRoom, roomLabel } from '../lib/rooms.ts';
import { trpc, type Me, type Partition, type Room } from '../lib/trpc.ts';
import { NotesPane } from '../notes/notes-pane.tsx';
import { SearchPane } from '../search/search-pane.tsx';
import { BrowseRooms } from './browse-rooms.tsx';
import { ConnectionBanner } from './connection-banner.tsx';
import { PaneHeader } from './pane-header.tsx';
import { RoomExitNotice, useRoomExit } from './room-exit-notice.tsx';
import { Sidebar } from './sidebar.tsx';
import { shownCounts, unreadElsewhere } from './unread.ts';
import { UnreadElsewhereContext } from './unread-context.ts';
import { useJoinRoom } from './use-join-room.ts';
import { usePartitionEvents } from './use-partition-events.ts';

export interface WorkspaceLayoutProps {
  me: Me;
  partition: Partition;
  partitions: Partition[];
  route: WorkspaceRoute;
  navigate: (route: Route, opts?: { replace?: boolean }) => void;
  onSignOut: () => void;
  signingOut: boolean;
  /** I am no longer a member (removed, or left): leave the workspace, saying why. Keep it stable. */
  onMembershipEnded: (partitionId: string, notice: string) => void;
}

/** The sidebar and the main pane of one workspace, with its live event stream. */
export function WorkspaceLayout({ me, partition, partitions, route, navigate, onSignOut, signingOut, onMembershipEnded }: WorkspaceLayoutProps) {
  const partitionId = partition.id;
  const utils = trpc.useUtils();
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const rooms = trpc.room.list.useQuery({ partitionId });
  const activeRoomId = route.view === 'room' ? route.roomId : null;

  // Unread and mention counts: the server's, live, the same on every device (attention/).
  const readState = useReadState(partitionId);
  const unread = useMemo(() => shownCounts(readState.rooms, activeRoomId), [readState.rooms, activeRoomId]);
  const partitionName = partition.name;
  const membershipEnded = useCallback(
    (removedBy: string | null) => onMembershipEnded(partitionId, removedBy ? `You were removed from ${partitionName}.` : `You left ${partitionName}.`),
    [onMembershipEnded, partitionId, partitionName],
  );
  const members = trpc.partition.members.useQuery({ partitionId });
  // Everyone's name, status and avatar, live (profile.updated), for every pane of the workspace.
  useProfiles(partitionId);
  const nameOf = useCallback((userId: string) => members.data?.find((m) => m.userId === userId)?.displayName, [members.data]);
  const roomExit = useRoomExit({ partitionId, meId: me.id, activeRoomId, nameOf, navigate });
  const stream = usePartitionEvents(partitionId, { meId: me.id, onMembershipEnded: membershipEnded, onRoomLeft: roomExit.onRoomLeft });

  const joined = useMemo(() => (rooms.data ?? []).filter((r) => r.joined), [rooms.data]);
  const defaultRoom = joined.find((r) => r.name.toLowerCase() === DEFAULT_ROOM_NAME) ?? joined[0];
  const activeRoom = rooms.data?.find((r) => r.id === activeRoomId);

  useEffect(() => {
    if (route.view === 'room' && route.roomId === null && defaultRoom) {
      navigate({ view: 'room', partitionId, roomId: defaultRoom.id }, { replace: true });
    }
  }, [route, defaultRoom, partitionId, navigate]);

  const totalUnread = unreadElsewhere(unread, null);
  useEffect(() => {
    const place =
      route.view === 'browse'
        ? 'Browse rooms'
        : route.view === 'notes'
          ? 'Notes'
          : route.view === 'search'
            ? 'Search'
            : activeRoom
              ? roomLabel(activeRoom, me.id, nameOf)
              : partition.name;
    document.title = `${totalUnread ? `(${totalUnread}) ` : ''}${place} · ${partition.name} — Parley`;
  }, [route.view, activeRoom, partition.name, totalUnread, me.id, nameOf]);

  useEffect(() => {
    if (!sidebarOpen) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setSidebarOpen(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [sidebarOpen]);

  const leave = trpc.room.leave.useMutation({
    onSuccess: async () => {
      await utils.room.list.invalidate({ partitionId });
      navigate({ view: 'room', partitionId, roomId: null }, { replace: true });
    },
  });

  const openRoom = (roomId: string) => navigate({ view: 'room', partitionId, roomId });
  const openHash = useCallback((hash: string) => navigate(parseRoute(hash)), [navigate]);
  const openSidebar = () => setSidebarOpen(true);

  let main;
  if (route.view === 'search') {
    main = <SearchPane me={me} partition={partition} route={route} rooms={rooms.data} navigate={navigate} onOpenSidebar={openSidebar} />;
  } else if (route.view === 'notes') {
    main = <NotesPane me={me} partition={partition} noteId={route.noteId} navigate={navigate} onOpenSidebar={openSidebar} />;
  } else if (route.view === 'browse') {
    main = <BrowseRooms partition={partition} meId={me.id} rooms={rooms.data} onOpenRoom={openRoom} onOpenSidebar={openSidebar} />;
  } else if (rooms.isPending) {
    main = <MessagePane title={partition.name} onOpenSidebar={openSidebar} text="Loading rooms…" />;
  } else if (rooms.isError && !rooms.data) {
    main = <MessagePane title={partition.name} onOpenSidebar={openSidebar} text={errorMessage(rooms.error)} error />;
  } else if (activeRoom?.joined) {
    main = (
      <ChatPane
        key={activeRoom.id}
        me={me}
        partition={partition}
        room={activeRoom}
        focusMessageId={route.view === 'room' ? route.messageId : undefined}
        onShowLatest={() => navigate({ view: 'room', partitionId, roomId: activeRoom.id }, { replace: true })}
        onOpenSidebar={openSidebar}
        // #general keeps everyone; a direct message's people are fixed.
        onLeave={isDefaultRoom(activeRoom) || activeRoom.kind === 'dm' ? undefined : () => leave.mutate({ partitionId, roomId: activeRoom.id })}
        leaving={leave.isPending}
        leaveError={leave.error ? errorMessage(leave.error) : null}
      />
    );
  } else if (activeRoom) {
    main = <JoinRoomPane partitionId={partitionId} meId={me.id} room={activeRoom} onOpenSidebar={openSidebar} />;
  } else if (activeRoomId) {
    main = (
      <MessagePane title={partition.name} onOpenSidebar={openSidebar} text="This room does not exist (any more).">
        <a className="button" href={`#/w/${encodeURIComponent(partitionId)}/browse`}>
          Browse rooms
        </a>
      </MessagePane>
    );
  } else {
    main = (
      <MessagePane title={partition.name} onOpenSidebar={openSidebar} text="You are not in any room yet.">
        <a className="button primary" href={`#/w/${encodeURIComponent(partitionId)}/browse`}>
          Browse rooms
        </a>
      </MessagePane>
    );
  }

  return (
    <UnreadElsewhereContext.Provider value={unreadElsewhere(unread, activeRoomId)}>
      <div className={sidebarOpen ? 'layout sidebar-is-open' : 'layout'}>
        <Sidebar
          me={me}
          partition={partition}
          partitions={partitions}
          rooms={rooms.data}
          route={route}
          unread={unread}
          navigate={navigate}
          onSignOut={onSignOut}
          signingOut={signingOut}
          streamError={stream.status === 'error' ? stream.error : null}
          onRetryStream={stream.reset}
          open={sidebarOpen}
          onClose={() => setSidebarOpen(false)}
          onLeft={() => membershipEnded(null)}
        />
        <div className="scrim" aria-hidden="true" onClick={() => setSidebarOpen(false)} />
        <main className="main">
          <ConnectionBanner />
          <NotificationCenter partitionId={partitionId} meId={me.id} rooms={rooms.data} nameOf={nameOf} openHash={openHash} />
          {roomExit.notice && <RoomExitNotice text={roomExit.notice} onDismiss={roomExit.dismiss} />}
          {main}
        </main>
      </div>
    </UnreadElsewhereContext.Provider>
  );
}

function MessagePane(props: { title: string; text: string; error?: boolean; onOpenSidebar: () => void; children?: ReactNode }) {
  return (
    <section className="info-pane">
      <PaneHeader title={props.title} onOpenSidebar={props.onOpenSidebar} />
      <div className="pane-body centered">
        <p className={props.error ? 'error-text' : 'muted'} role={props.error ? 'alert' : undefined}>
          {props.text}
        </p>
        {props.children}
      </div>
    </section>
  );
}

function JoinRoomPane({ partitionId, meId, room, onOpenSidebar }: { partitionId: string; meId: string; room: Room; onOpenSidebar: () => void }) {
  const join = useJoinRoom(partitionId, meId);
  const isPrivate = room.kind === 'private';
  return (
    <section className="info-pane">
      <PaneHeader title={`#${room.name}`} subtitle={`${room.memberCount} ${room.memberCount === 1 ? 'member' : 'members'}`} onOpenSidebar={onOpenSidebar} />
      <div className="pane-body centered">
        <p className="muted">
          {isPrivate
            ? `#${room.name} is private. As a workspace admin you can add yourself to it.`
            : `You are not in #${room.name}. Join it to read and write its messages.`}
        </p>
        <button type="button" className="button primary" disabled={join.isPending} onClick={() => join.mutate(room)}>
          {join.isPending ? 'Joining…' : isPrivate ? 'Add me' : `Join #${room.name}`}
        </button>
        {join.error && (
          <p className="error-text" role="alert">
            {errorMessage(join.error)}
          </p>
        )}
      </div>
    </section>
  );
}
