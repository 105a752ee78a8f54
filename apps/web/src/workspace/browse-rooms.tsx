import { errorMessage } from '../lib/errors.ts';
import { canWrite, type Partition, type Room } from '../lib/trpc.ts';
import { CreateRoomForm } from './create-room-form.tsx';
import { PaneHeader } from './pane-header.tsx';
import { RoomGlyph } from './room-glyph.tsx';
import { useJoinRoom } from './use-join-room.ts';

export interface BrowseRoomsProps {
  partition: Partition;
  meId: string;
  rooms: Room[] | undefined;
  onOpenRoom: (roomId: string) => void;
  onOpenSidebar: () => void;
}

/**
 * The workspace's rooms: open the ones I am in, join the public others. Workspace owners and
 * admins also see the private rooms (marked with a lock) and may add themselves to one.
 * Direct messages are not rooms to browse.
 */
export function BrowseRooms({ partition, meId, rooms, onOpenRoom, onOpenSidebar }: BrowseRoomsProps) {
  const join = useJoinRoom(partition.id, meId, onOpenRoom);
  const joiningId = join.isPending ? join.variables.id : null;
  const sorted = (rooms ?? []).filter((r) => r.kind !== 'dm').sort((a, b) => a.name.localeCompare(b.name));

  return (
    <section className="browse-pane" aria-label="Browse rooms">
      <PaneHeader title="Browse rooms" subtitle={partition.name} onOpenSidebar={onOpenSidebar} />
      <div className="pane-body">
        {canWrite(partition.role) && (
          <div className="card">
            <CreateRoomForm partitionId={partition.id} onCreated={onOpenRoom} />
          </div>
        )}
        {join.error && (
          <p className="banner error" role="alert">
            {errorMessage(join.error)}
          </p>
        )}
        {rooms === undefined ? (
          <p className="muted">Loading rooms…</p>
        ) : (
          <ul className="browse-list">
            {sorted.map((room) => (
              <li key={room.id} className="browse-item">
                <div className="browse-item-text">
                  <span className="room-name" title={`#${room.name}`}>
                    <RoomGlyph kind={room.kind} />
                    {room.name}
                  </span>
                  <span className="muted">
                    {' '}
                    · {room.memberCount} {room.memberCount === 1 ? 'member' : 'members'}
                  </span>
                </div>
                {room.joined ? (
                  <button type="button" className="button subtle" onClick={() => onOpenRoom(room.id)}>
                    Open
                  </button>
                ) : room.kind === 'private' ? (
                  // No Join for a private room: a workspace owner or admin adds themselves, as a room admin would.
                  <button
                    type="button"
                    className="button subtle"
                    disabled={joiningId !== null}
                    aria-label={`Add me to #${room.name}`}
                    onClick={() => join.mutate(room)}
                  >
                    {joiningId === room.id ? 'Adding…' : 'Add me'}
                  </button>
                ) : (
                  <button
                    type="button"
                    className="button primary"
                    disabled={joiningId !== null}
                    aria-label={`Join #${room.name}`}
                    onClick={() => join.mutate(room)}
                  >
                    {joiningId === room.id ? 'Joining…' : 'Join'}
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
