import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { errorMessage } from '../lib/errors.ts';
import { dmChoiceStatus } from '../lib/rooms.ts';
import type { Member } from '../lib/trpc.ts';
import { openDmInput, useOpenDm } from './use-open-dm.ts';

export interface NewDmDialogProps {
  partitionId: string;
  meId: string;
  members: Member[] | undefined;
  onOpened: (roomId: string) => void;
  onCancel: () => void;
}

/** "New message": pick up to 7 people of the workspace for a direct message (a group one when more than one). */
export function NewDmDialog({ partitionId, meId, members, onOpened, onCancel }: NewDmDialogProps) {
  const [chosen, setChosen] = useState<string[]>([]);
  const titleId = useId();
  const statusId = useId();
  const open = useOpenDm(partitionId, onOpened);
  const firstRef = useRef<HTMLInputElement>(null);
  useEffect(() => firstRef.current?.focus(), []);
  const others = (members ?? []).filter((m) => m.userId !== meId).sort((a, b) => a.displayName.localeCompare(b.displayName));
  const status = dmChoiceStatus(chosen.length);
  const toggle = (userId: string) => {
    open.reset();
    setChosen((c) => (c.includes(userId) ? c.filter((id) => id !== userId) : [...c, userId]));
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (status.tooMany || chosen.length === 0) return;
    open.mutate(openDmInput(partitionId, chosen));
  };
  return (
    <div
      className="dm-dialog"
      role="dialog"
      aria-labelledby={titleId}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.stopPropagation();
          onCancel();
        }
      }}
    >
      <form onSubmit={onSubmit}>
        <h2 id={titleId}>New message</h2>
        <fieldset aria-describedby={statusId}>
          <legend className="visually-hidden">People</legend>
          {others.length === 0 && <p className="muted">Nobody else is in this workspace yet.</p>}
          <ul className="dm-choices">
            {others.map((m, i) => (
              <li key={m.userId}>
                <label>
                  <input ref={i === 0 ? firstRef : undefined} type="checkbox" checked={chosen.includes(m.userId)} onChange={() => toggle(m.userId)} />{' '}
                  {m.displayName}
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
        <p id={statusId} className={status.tooMany ? 'error-text' : 'hint'} role={status.tooMany ? 'alert' : undefined}>
          {status.text}
        </p>
        {open.error && (
          <p className="error-text" role="alert">
            {errorMessage(open.error)}
          </p>
        )}
        <div className="inline-form-row">
          <button type="submit" className="button primary" disabled={chosen.length === 0 || status.tooMany || open.isPending}>
            {open.isPending ? 'Opening…' : 'Start conversation'}
          </button>
          <button type="button" className="button subtle" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}
