import { useState } from 'react';
import { useProfiles } from '@parley/client/react';
import { formatRoute } from '../lib/route.ts';
import { dmName } from '../lib/rooms.ts';
import { canWrite, type Member, type Partition, type Room } from '../lib/trpc.ts';
import { PersonAvatar } from '../profile/person.tsx';
import { NewDmDialog } from './dm-new-dialog.tsx';
import { UnreadBadge } from '../attention/unread-badge.tsx';
import type { UnreadCounts } from './unread.ts';
import './conversations.css';

export interface DirectMessagesProps {
  partition: Partition;
  meId: string;
  /** The room list: its direct messages I am in are shown. */
  rooms: Room[] | undefined;
  members: Member[] | undefined;
  activeRoomId: string | null;
  /** Unread and mention counts per direct message (the open one's left out). */
  unread: UnreadCounts;
  onOpenRoom: (roomId: string) => void;
  /** A link was followed (the drawer closes at phone widths). */
  onNavigated: () => void;
}

/** The sidebar's "Direct messages": each named by its other people, and "New message". */
export function DirectMessages({ partition, meId, rooms, members, activeRoomId, unread, onOpenRoom, onNavigated }: DirectMessagesProps) {
  const [composing, setComposing] = useState(false);
  // Names as people call themselves now (live), else as the member list had them.
  const profiles = useProfiles(partition.id);
  const nameOf = (userId: string) => profiles[userId]?.displayName ?? members?.find((m) => m.userId === userId)?.displayName;
  const dms = (rooms ?? [])
    .filter((r) => r.kind === 'dm' && r.joined)
    .map((room) => ({ room, name: dmName(room.memberIds ?? [], meId, nameOf) }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return (
    <nav className="sidebar-section direct-messages" aria-label="Direct messages">
      <div className="section-heading">
        <h2>Direct messages</h2>
        {canWrite(partition.role) && (
          <button
            type="button"
            className="icon-button"
            aria-label="New message"
            aria-expanded={composing}
            title="New message"
            onClick={() => setComposing((c) => !c)}
          >
            +
          </button>
        )}
      </div>
      {composing && (
        <NewDmDialog
          partitionId={partition.id}
          meId={meId}
          members={members}
          onCancel={() => setComposing(false)}
          onOpened={(roomId) => {
            setComposing(false);
            onOpenRoom(roomId);
          }}
        />
      )}
      {rooms !== undefined && dms.length === 0 && !composing && <p className="hint">No direct messages yet.</p>}
      <ul className="room-list">
        {dms.map(({ room, name }) => {
          const count = unread[room.id]?.unread ?? 0;
          return (
            <li key={room.id}>
              <a
                href={formatRoute({ view: 'room', partitionId: partition.id, roomId: room.id })}
                className={count ? 'room-link unread' : 'room-link'}
                aria-current={room.id === activeRoomId ? 'page' : undefined}
                onClick={onNavigated}
              >
                {oneOther(room, meId) && <PersonAvatar userId={oneOther(room, meId)!} name={name} size="small" imageOnly />}
                <span className="room-name" title={name}>
                  {name}
                </span>
                <UnreadBadge state={unread[room.id]} />
              </a>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

/** The other person of a one-to-one direct message (null for a group one). */
function oneOther(room: Room, meId: string): string | null {
  const others = (room.memberIds ?? []).filter((id) => id !== meId);
  return others.length === 1 ? others[0]! : null;
}
