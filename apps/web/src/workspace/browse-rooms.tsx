import { useState } from 'react';
import { errorMessage } from '../lib/errors.ts';
import { canWrite, trpc, type Partition, type Room } from '../lib/trpc.ts';
import { CreateRoomForm } from './create-room-form.tsx';
import { PaneHeader } from './pane-header.tsx';

export interface BrowseRoomsProps {
  partition: Partition;
  rooms: Room[] | undefined;
  onOpenRoom: (roomId: string) => void;
  onOpenSidebar: () => void;
}

/** Every room of the workspace: open the ones I am in, join the others. */
export function BrowseRooms({ partition, rooms, onOpenRoom, onOpenSidebar }: BrowseRoomsProps) {
  const utils = trpc.useUtils();
  const [joiningId, setJoiningId] = useState<string | null>(null);
  const join = trpc.room.join.useMutation({
    onSuccess: async (_result, input) => {
      await utils.room.list.invalidate({ partitionId: partition.id });
      onOpenRoom(input.roomId);
    },
    onSettled: () => setJoiningId(null),
  });
  const sorted = [...(rooms ?? [])].sort((a, b) => a.name.localeCompare(b.name));

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
                <div>
                  <span className="room-name"># {room.name}</span>
                  <span className="muted">
                    {' '}
                    · {room.memberCount} {room.memberCount === 1 ? 'member' : 'members'}
                  </span>
                </div>
                {room.joined ? (
                  <button type="button" className="button subtle" onClick={() => onOpenRoom(room.id)}>
                    Open
                  </button>
                ) : (
                  <button
                    type="button"
                    className="button primary"
                    disabled={joiningId !== null}
                    aria-label={`Join #${room.name}`}
                    onClick={() => {
                      setJoiningId(room.id);
                      join.mutate({ partitionId: partition.id, roomId: room.id });
                    }}
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
