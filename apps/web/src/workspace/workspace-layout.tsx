import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ChatPane } from '../chat/chat-pane.tsx';
import { errorMessage } from '../lib/errors.ts';
import type { Route } from '../lib/route.ts';
import { trpc, type Me, type ParleyEvent, type Partition, type Room } from '../lib/trpc.ts';
import { BrowseRooms } from './browse-rooms.tsx';
import { ConnectionBanner } from './connection-banner.tsx';
import { PaneHeader } from './pane-header.tsx';
import { Sidebar } from './sidebar.tsx';
import { usePartitionEvents } from './use-partition-events.ts';

/** Every workspace has it and nobody leaves it (the server refuses). */
const DEFAULT_ROOM_NAME = 'general';

export interface WorkspaceLayoutProps {
  me: Me;
  partition: Partition;
  partitions: Partition[];
  route: Extract<Route, { view: 'room' | 'browse' }>;
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
  const [unread, setUnread] = useState<Record<string, number>>({});
  const rooms = trpc.room.list.useQuery({ partitionId });
  const activeRoomId = route.view === 'room' ? route.roomId : null;

  const countUnread = useCallback(
    (event: ParleyEvent) => {
      if (event.type === 'message.created' && event.data.roomId !== activeRoomId && event.data.authorId !== me.id) {
        const roomId = event.data.roomId;
        setUnread((u) => ({ ...u, [roomId]: (u[roomId] ?? 0) + 1 }));
      }
    },
    [activeRoomId, me.id],
  );
  const partitionName = partition.name;
  const membershipEnded = useCallback(
    (removedBy: string | null) =>
      onMembershipEnded(partitionId, removedBy ? `You were removed from ${partitionName}.` : `You left ${partitionName}.`),
    [onMembershipEnded, partitionId, partitionName],
  );
  const stream = usePartitionEvents(partitionId, { meId: me.id, onEvent: countUnread, onMembershipEnded: membershipEnded });

  const joined = useMemo(() => (rooms.data ?? []).filter((r) => r.joined), [rooms.data]);
  const defaultRoom = joined.find((r) => r.name.toLowerCase() === DEFAULT_ROOM_NAME) ?? joined[0];
  const activeRoom = rooms.data?.find((r) => r.id === activeRoomId);

  useEffect(() => {
    if (route.view === 'room' && route.roomId === null && defaultRoom) {
      navigate({ view: 'room', partitionId, roomId: defaultRoom.id }, { replace: true });
    }
  }, [route, defaultRoom, partitionId, navigate]);

  useEffect(() => {
    if (!activeRoomId) return;
    setUnread((u) => (u[activeRoomId] ? { ...u, [activeRoomId]: 0 } : u));
  }, [activeRoomId]);

  const totalUnread = Object.values(unread).reduce((a, b) => a + b, 0);
  useEffect(() => {
    const place = route.view === 'browse' ? 'Browse rooms' : activeRoom ? `#${activeRoom.name}` : partition.name;
    document.title = `${totalUnread ? `(${totalUnread}) ` : ''}${place} · ${partition.name} — Parley`;
  }, [route.view, activeRoom, partition.name, totalUnread]);

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
  const openSidebar = () => setSidebarOpen(true);

  let main;
  if (route.view === 'browse') {
    main = <BrowseRooms partition={partition} rooms={rooms.data} onOpenRoom={openRoom} onOpenSidebar={openSidebar} />;
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
        onOpenSidebar={openSidebar}
        onLeave={activeRoom.name.toLowerCase() === DEFAULT_ROOM_NAME ? undefined : () => leave.mutate({ partitionId, roomId: activeRoom.id })}
        leaving={leave.isPending}
        leaveError={leave.error ? errorMessage(leave.error) : null}
      />
    );
  } else if (activeRoom) {
    main = <JoinRoomPane partitionId={partitionId} room={activeRoom} onOpenSidebar={openSidebar} />;
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
          {main}
        </main>
      </div>
  );
}

function MessagePane(props: {
  title: string;
  text: string;
  error?: boolean;
  onOpenSidebar: () => void;
  children?: ReactNode;
}) {
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

function JoinRoomPane({ partitionId, room, onOpenSidebar }: { partitionId: string; room: Room; onOpenSidebar: () => void }) {
  const utils = trpc.useUtils();
  const join = trpc.room.join.useMutation({
    onSuccess: () => utils.room.list.invalidate({ partitionId }),
  });
  return (
    <section className="info-pane">
      <PaneHeader
        title={`#${room.name}`}
        subtitle={`${room.memberCount} ${room.memberCount === 1 ? 'member' : 'members'}`}
        onOpenSidebar={onOpenSidebar}
      />
      <div className="pane-body centered">
        <p className="muted">You are not in #{room.name}. Join it to read and write its messages.</p>
        <button type="button" className="button primary" disabled={join.isPending} onClick={() => join.mutate({ partitionId, roomId: room.id })}>
          {join.isPending ? 'Joining…' : `Join #${room.name}`}
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
