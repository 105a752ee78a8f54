import { useEffect, useId, useRef, useState } from 'react';
import { errorMessage } from '../lib/errors.ts';
import { formatRoute, type Route } from '../lib/route.ts';
import { canManageInvites, canWrite, trpc, type Me, type Partition, type Room } from '../lib/trpc.ts';
import { PostAnnouncement } from './announcements.tsx';
import { ConnectionIndicator } from './connection-indicator.tsx';
import { CreateRoomForm } from './create-room-form.tsx';
import { DirectMessages } from './dm-section.tsx';
import { InvitePanel } from './invite-panel.tsx';
import { MemberList } from './member-list.tsx';
import { RoomGlyph } from './room-glyph.tsx';
import { SidebarSearch } from '../search/sidebar-search.tsx';
import { MarkAllRead } from '../attention/mark-all-read.tsx';
import { ReceiptsToggle } from '../attention/receipts-toggle.tsx';
import { UnreadBadge } from '../attention/unread-badge.tsx';
import type { UnreadCounts } from './unread.ts';
import { MeButton } from '../profile/me-button.tsx';

export interface SidebarProps {
  me: Me;
  partition: Partition;
  partitions: Partition[];
  rooms: Room[] | undefined;
  route: Route;
  /** Unread and mention counts per room (the open room's left out). */
  unread: UnreadCounts;
  navigate: (route: Route) => void;
  onSignOut: () => void;
  signingOut: boolean;
  streamError: string | null;
  onRetryStream: () => void;
  open: boolean;
  onClose: () => void;
  /** I left the workspace (its list is refreshed here): take me out of it. */
  onLeft: () => void;
}

const PICKER = '__picker';

export function Sidebar(props: SidebarProps) {
  const { me, partition, route, navigate } = props;
  const [creating, setCreating] = useState(false);
  const switcherId = useId();
  const members = trpc.partition.members.useQuery({ partitionId: partition.id });
  const utils = trpc.useUtils();
  const leave = trpc.partition.leave.useMutation({
    onSuccess: () => {
      // Out first: the refreshed list no longer has this workspace, and the layout would
      // otherwise briefly find itself in a workspace that is not there.
      props.onLeft();
      return utils.partition.list.invalidate();
    },
  });
  // Direct messages have a section of their own.
  const joined = (props.rooms ?? []).filter((r) => r.joined && r.kind !== 'dm');
  const openRoom = (roomId: string) => navigate({ view: 'room', partitionId: partition.id, roomId });
  const activeRoomId = route.view === 'room' ? route.roomId : null;
  const closeRef = useRef<HTMLButtonElement>(null);

  // At phone widths the sidebar is a drawer: move focus into it when it opens.
  useEffect(() => {
    if (props.open) closeRef.current?.focus();
  }, [props.open]);

  return (
    <aside id="sidebar" className={props.open ? 'sidebar open' : 'sidebar'} aria-label="Workspace">
      <div className="sidebar-top">
        <label htmlFor={switcherId} className="visually-hidden">
          Workspace
        </label>
        <select
          id={switcherId}
          className="workspace-switcher"
          title={partition.name}
          value={partition.id}
          onChange={(event) => {
            const id = event.target.value;
            navigate(id === PICKER ? { view: 'picker' } : { view: 'room', partitionId: id, roomId: null });
          }}
        >
          {props.partitions.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
          <option value={PICKER}>Other workspaces…</option>
        </select>
        <button ref={closeRef} type="button" className="icon-button close-sidebar" aria-label="Close sidebar" onClick={props.onClose}>
          ×
        </button>
      </div>
      <div className="workspace-meta">
        <p>
          <span className="workspace-id">{partition.id}</span> · <span className="role">{partition.role}</span>
        </p>
        {/* The owner cannot leave (the server refuses): nobody would own the workspace. */}
        {partition.role !== 'owner' && (
          <button
            type="button"
            className="link-button leave-workspace"
            disabled={leave.isPending}
            onClick={() => {
              if (window.confirm(`Leave ${partition.name}? You leave all its rooms and need a new invite code to come back.`)) {
                leave.mutate({ partitionId: partition.id });
              }
            }}
          >
            {leave.isPending ? 'Leaving…' : 'Leave workspace'}
          </button>
        )}
      </div>
      {leave.error && (
        <p className="error-text workspace-meta-error" role="alert">
          {errorMessage(leave.error)}
        </p>
      )}
      <ConnectionIndicator streamError={props.streamError} onRetry={props.onRetryStream} />
      <SidebarSearch partitionId={partition.id} navigate={navigate} onSearched={props.onClose} />

      <nav className="sidebar-section rooms" aria-label="Rooms">
        <div className="section-heading">
          <h2>Rooms</h2>
          <MarkAllRead partitionId={partition.id} />
          {canWrite(partition.role) && (
            <button
              type="button"
              className="icon-button"
              aria-label={creating ? 'Cancel new room' : 'New room'}
              aria-expanded={creating}
              title="New room"
              onClick={() => setCreating((c) => !c)}
            >
              {creating ? '−' : '+'}
            </button>
          )}
        </div>
        {creating && (
          <CreateRoomForm
            partitionId={partition.id}
            onCreated={(roomId) => {
              setCreating(false);
              navigate({ view: 'room', partitionId: partition.id, roomId });
            }}
          />
        )}
        {props.rooms === undefined ? (
          <p className="muted">Loading rooms…</p>
        ) : (
          <ul className="room-list">
            {joined.map((room) => {
              const unread = props.unread[room.id]?.unread ?? 0;
              return (
                <li key={room.id}>
                  <a
                    href={formatRoute({ view: 'room', partitionId: partition.id, roomId: room.id })}
                    className={unread ? 'room-link unread' : 'room-link'}
                    aria-current={room.id === activeRoomId ? 'page' : undefined}
                    onClick={props.onClose}
                  >
                    <span className="room-name" title={`#${room.name}`}>
                      <RoomGlyph kind={room.kind} />
                      {room.name}
                    </span>
                    <UnreadBadge state={props.unread[room.id]} />
                  </a>
                </li>
              );
            })}
          </ul>
        )}
        <a
          href={formatRoute({ view: 'browse', partitionId: partition.id })}
          className="room-link browse-link"
          aria-current={route.view === 'browse' ? 'page' : undefined}
          onClick={props.onClose}
        >
          Browse rooms
        </a>
        <a
          href={formatRoute({ view: 'notes', partitionId: partition.id, noteId: null })}
          className="room-link browse-link notes-link"
          aria-current={route.view === 'notes' ? 'page' : undefined}
          onClick={props.onClose}
        >
          Notes
        </a>
      </nav>

      <DirectMessages
        partition={partition}
        meId={me.id}
        rooms={props.rooms}
        members={members.data}
        activeRoomId={activeRoomId}
        unread={props.unread}
        onOpenRoom={(roomId) => {
          props.onClose();
          openRoom(roomId);
        }}
        onNavigated={props.onClose}
      />

      {canManageInvites(partition.role) && <InvitePanel partitionId={partition.id} />}
      {/* Owners and admins: the same people who invite (`isWorkspaceModerator`). */}
      {canManageInvites(partition.role) && <PostAnnouncement partitionId={partition.id} />}

      <MemberList
        partitionId={partition.id}
        members={members.data}
        me={{ id: me.id, role: partition.role }}
        onOpenRoom={(roomId) => {
          props.onClose();
          openRoom(roomId);
        }}
      />

      <div className="sidebar-footer">
        <MeButton me={me} />
        <ReceiptsToggle />
        {me.isAdmin && (
          <a className="button subtle admin-link" href={formatRoute({ view: 'admin' })}>
            Admin
          </a>
        )}
        <button type="button" className="button subtle" onClick={props.onSignOut} disabled={props.signingOut}>
          Sign out
        </button>
      </div>
    </aside>
  );
}
