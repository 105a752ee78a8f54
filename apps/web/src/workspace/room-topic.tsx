import { useId, useState, type FormEvent } from 'react';
import { errorMessage } from '../lib/errors.ts';
import { trpc, type Room } from '../lib/trpc.ts';
import './conversations.css';

export interface RoomTopicProps {
  partitionId: string;
  room: Room;
  /** Whether I may change it (a room admin, or a workspace owner or admin); the server decides. */
  canEdit: boolean;
}

/**
 * The room's topic under its name; those who may change it edit it here (Save/Cancel), and a
 * refusal shows the server's words. An editor once open stays open even if my right to edit
 * went meanwhile: Save then says why not.
 */
export function RoomTopic({ partitionId, room, canEdit }: RoomTopicProps) {
  const [draft, setDraft] = useState<string | null>(null);
  const inputId = useId();
  const utils = trpc.useUtils();
  const update = trpc.room.update.useMutation({
    onSuccess: (dto) => {
      utils.room.list.setData({ partitionId }, (old) => old?.map((r) => (r.id === dto.id ? { ...r, name: dto.name, topic: dto.topic } : r)));
      setDraft(null);
      return utils.room.list.invalidate({ partitionId });
    },
  });
  const cancel = () => {
    setDraft(null);
    update.reset();
  };

  if (draft !== null) {
    const onSubmit = (event: FormEvent) => {
      event.preventDefault();
      update.mutate({ partitionId, roomId: room.id, topic: draft });
    };
    return (
      <form
        className="room-topic editing"
        onSubmit={onSubmit}
        onKeyDown={(event) => {
          if (event.key === 'Escape') cancel();
        }}
      >
        <label htmlFor={inputId} className="visually-hidden">
          Topic of #{room.name}
        </label>
        <input id={inputId} value={draft} autoFocus placeholder="What is this room about?" onChange={(event) => setDraft(event.target.value)} />
        <button type="submit" className="button primary small" disabled={update.isPending}>
          {update.isPending ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="button subtle small" onClick={cancel}>
          Cancel
        </button>
        {update.error && (
          <p className="error-text" role="alert">
            {errorMessage(update.error)}
          </p>
        )}
      </form>
    );
  }
  if (!room.topic && !canEdit) return null;
  return (
    <div className="room-topic">
      {room.topic ? (
        <p className="topic-text" title={room.topic}>
          {room.topic}
        </p>
      ) : (
        <p className="muted">No topic yet.</p>
      )}
      {canEdit && (
        <button type="button" className="link-button" onClick={() => setDraft(room.topic)}>
          {room.topic ? 'Edit topic' : 'Add a topic'}
        </button>
      )}
    </div>
  );
}
