import { useId, useState, type FormEvent } from 'react';
import { errorMessage } from '../lib/errors.ts';
import { trpc } from '../lib/trpc.ts';

export function CreateRoomForm({ partitionId, onCreated }: { partitionId: string; onCreated: (roomId: string) => void }) {
  const [name, setName] = useState('');
  const inputId = useId();
  const utils = trpc.useUtils();
  const create = trpc.room.create.useMutation({
    onSuccess: async (room) => {
      setName('');
      await utils.room.list.invalidate({ partitionId });
      onCreated(room.id);
    },
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ partitionId, name });
  };
  return (
    <form className="inline-form" onSubmit={onSubmit}>
      <label htmlFor={inputId}>New room name</label>
      <div className="inline-form-row">
        <input
          id={inputId}
          value={name}
          onChange={(event) => setName(event.target.value)}
          maxLength={48}
          placeholder="e.g. design"
          autoComplete="off"
          required
        />
        <button type="submit" className="button primary" disabled={create.isPending || !name.trim()}>
          Create
        </button>
      </div>
      {create.error && (
        <p className="error-text" role="alert">
          {errorMessage(create.error)}
        </p>
      )}
    </form>
  );
}
