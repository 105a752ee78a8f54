import { useId, useState, type FormEvent } from 'react';
import { ROOM_NAME_MAX_CHARS } from '@parley/client';
import { FieldError } from '../lib/field-error.tsx';
import { describedBy, formErrors } from '../lib/form-errors.ts';
import { trpc } from '../lib/trpc.ts';

/** A new room: its name, public (anyone in the workspace finds and joins it) or private (members added by its admins), an optional topic. */
export function CreateRoomForm({ partitionId, onCreated }: { partitionId: string; onCreated: (roomId: string) => void }) {
  const [name, setName] = useState('');
  const [visibility, setVisibility] = useState<'public' | 'private'>('public');
  const [topic, setTopic] = useState('');
  const inputId = useId();
  const errorId = useId();
  const topicId = useId();
  const topicErrorId = useId();
  const utils = trpc.useUtils();
  const create = trpc.room.create.useMutation({
    onSuccess: async (room) => {
      setName('');
      setTopic('');
      setVisibility('public');
      await utils.room.list.invalidate({ partitionId });
      onCreated(room.id);
    },
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ partitionId, name, visibility, ...(topic.trim() ? { topic } : {}) });
  };
  const errors = formErrors(create.error, ['name', 'topic']);
  return (
    <form className="inline-form" onSubmit={onSubmit}>
      <label htmlFor={inputId}>New room name</label>
      <div className="inline-form-row">
        <input
          id={inputId}
          value={name}
          onChange={(event) => setName(event.target.value)}
          maxLength={ROOM_NAME_MAX_CHARS}
          placeholder="e.g. design"
          autoComplete="off"
          required
          {...describedBy(errorId, errors.fields.name)}
        />
      </div>
      <FieldError id={errorId} message={errors.fields.name} />
      <fieldset className="room-visibility">
        <legend className="visually-hidden">Who can find it</legend>
        <label>
          <input type="radio" name={`${inputId}-visibility`} value="public" checked={visibility === 'public'} onChange={() => setVisibility('public')} /> Public
        </label>
        <label>
          <input type="radio" name={`${inputId}-visibility`} value="private" checked={visibility === 'private'} onChange={() => setVisibility('private')} />{' '}
          Private
        </label>
      </fieldset>
      <p className="hint">{visibility === 'public' ? 'Anyone in the workspace can find and join it.' : 'Only people you add can see it.'}</p>
      <label htmlFor={topicId}>Topic (optional)</label>
      <input
        id={topicId}
        value={topic}
        onChange={(event) => setTopic(event.target.value)}
        placeholder="What is it about?"
        autoComplete="off"
        {...describedBy(topicErrorId, errors.fields.topic)}
      />
      <FieldError id={topicErrorId} message={errors.fields.topic} />
      <div className="inline-form-row">
        <button type="submit" className="button primary" disabled={create.isPending || !name.trim()}>
          {visibility === 'private' ? 'Create private room' : 'Create'}
        </button>
      </div>
      {errors.general && (
        <p className="error-text" role="alert">
          {errors.general}
        </p>
      )}
    </form>
  );
}
