import { useState } from 'react';
import { formatRoute } from '../lib/route.ts';
import { dmName } from '../lib/rooms.ts';
import { canWrite, type Member, type Partition, type Room } from '../lib/trpc.ts';
import { NewDmDialog } from './dm-new-dialog.tsx';
import './conversations.css';

export interface DirectMessagesProps {
  partition: Partition;
  meId: string;
  /** The room list: its direct messages I am in are shown. */
  rooms: Room[] | undefined;
  members: Member[] | undefined;
  activeRoomId: string | null;
  unread: Record<string, number>;
  onOpenRoom: (roomId: string) => void;
  /** A link was followed (the drawer closes at phone widths). */
  onNavigated: () => void;
}

/** The sidebar's "Direct messages": each named by its other people, and "New message". */
export function DirectMessages({ partition, meId, rooms, members, activeRoomId, unread, onOpenRoom, onNavigated }: DirectMessagesProps) {
  const [composing, setComposing] = useState(false);
  const nameOf = (userId: string) => members?.find((m) => m.userId === userId)?.displayName;
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
          const count = unread[room.id] ?? 0;
          return (
            <li key={room.id}>
              <a
                href={formatRoute({ view: 'room', partitionId: partition.id, roomId: room.id })}
                className={count ? 'room-link unread' : 'room-link'}
                aria-current={room.id === activeRoomId ? 'page' : undefined}
                onClick={onNavigated}
              >
                <span className="room-name" title={name}>
                  {name}
                </span>
                {count > 0 && (
                  <span className="badge" aria-label={`${count} unread`}>
                    {count > 99 ? '99+' : count}
                  </span>
                )}
              </a>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
