import { useId, useState, type FormEvent } from 'react';
import { NOTE_BODY_MAX_CHARS, NOTE_TITLE_MAX_CHARS, type NoteConflict, type NoteEditorStatus, type NoteText } from '@parley/client';
import { formatCountdown } from './note-lock-text.ts';

export interface NoteEditFormProps {
  text: NoteText;
  status: Extract<NoteEditorStatus, 'held' | 'locking' | 'offline-draft'>;
  /** Milliseconds left on my lock (renewed by itself while the editor is open); null when not held. */
  expiresIn: number | null;
  saving: boolean;
  error: string | null;
  onEdit: (title: string, body: string) => void;
  onSave: () => void;
  onCancel: () => void;
}

/** The editor under my lock. Every keystroke goes to the lock helper, which keeps it (durably) until saved. */
export function NoteEditForm({ text, status, expiresIn, saving, error, onEdit, onSave, onCancel }: NoteEditFormProps) {
  const titleId = useId();
  const bodyId = useId();
  const [emptyTitle, setEmptyTitle] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!text.title.trim()) {
      setEmptyTitle(true);
      return;
    }
    onSave();
  };
  let state: string;
  if (status === 'locking') state = 'Taking the lock…';
  else if (status === 'offline-draft') state = 'Not saved — offline. Your text is kept on this device and saved when Parley is back.';
  else if (saving) state = 'Saving…';
  else state = `You are editing · lock expires in ${formatCountdown(expiresIn ?? 0)} (renewed while you edit)`;
  return (
    <form className="note-edit" onSubmit={submit} noValidate aria-label="Edit note">
      <p className={status === 'offline-draft' ? 'note-lock offline' : 'note-lock mine'} role="status">
        {state}
      </p>
      <label htmlFor={titleId}>Title</label>
      <input
        id={titleId}
        value={text.title}
        maxLength={NOTE_TITLE_MAX_CHARS}
        dir="auto"
        aria-invalid={emptyTitle || undefined}
        onChange={(e) => {
          setEmptyTitle(false);
          onEdit(e.target.value, text.body);
        }}
      />
      {emptyTitle && (
        <p className="error-text" role="alert">
          A note needs a title.
        </p>
      )}
      <label htmlFor={bodyId}>
        Text <span className="muted">(Markdown: **bold**, _italic_, `code`, lists, links)</span>
      </label>
      <textarea id={bodyId} value={text.body} maxLength={NOTE_BODY_MAX_CHARS} dir="auto" rows={16} onChange={(e) => onEdit(text.title, e.target.value)} />
      {error && status !== 'offline-draft' && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      <div className="note-actions">
        <button type="submit" className="button primary" disabled={saving || status === 'locking'}>
          Save
        </button>
        <button type="button" className="button subtle" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Copies a note's text (title, blank line, body) for pasting elsewhere; says whether it worked. */
function CopyButton({ text }: { text: NoteText }) {
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  return (
    <button
      type="button"
      className="button"
      onClick={() => {
        navigator.clipboard
          .writeText(`${text.title}\n\n${text.body}`)
          .then(() => setCopied('yes'))
          .catch(() => setCopied('no'));
      }}
    >
      {copied === 'yes' ? 'Copied' : copied === 'no' ? 'Copy failed: select the text' : 'Copy my text'}
    </button>
  );
}

export interface NoteKeptTextProps {
  text: NoteText;
  /** Why it was not saved, in the server's words. */
  reason: string;
  deleted: boolean;
  onRetry: () => void;
  onDiscard: () => void;
}

/**
 * Text that could not be saved (the lock was lost or is someone else's): kept on screen and on
 * this device, never dropped without the person saying so.
 */
export function NoteKeptText({ text, reason, deleted, onRetry, onDiscard }: NoteKeptTextProps) {
  const [discarding, setDiscarding] = useState(false);
  return (
    <section className="note-kept" aria-label="Your unsaved text">
      <p className="banner error" role="alert">
        {deleted ? 'This note was deleted; your text was not saved.' : reason} Your text is kept below, on this device.
      </p>
      <label className="note-kept-title">
        Title
        <input readOnly value={text.title} dir="auto" />
      </label>
      <textarea readOnly value={text.body} dir="auto" rows={12} aria-label="Your text" />
      <div className="note-actions">
        <CopyButton text={text} />
        {!deleted && (
          <button type="button" className="button primary" onClick={onRetry}>
            Lock again and save
          </button>
        )}
        {discarding ? (
          <>
            <button type="button" className="button danger" onClick={onDiscard}>
              Discard for good
            </button>
            <button type="button" className="button subtle" onClick={() => setDiscarding(false)}>
              Keep it
            </button>
          </>
        ) : (
          <button type="button" className="button subtle" onClick={() => setDiscarding(true)}>
            Discard my text
          </button>
        )}
      </div>
    </section>
  );
}

export interface NoteConflictViewProps {
  conflict: NoteConflict;
  saving: boolean;
  error: string | null;
  onMine: () => void;
  onTheirs: () => void;
}

/** The note changed since my draft's base version: both texts, and the person chooses. Nothing is saved until then. */
export function NoteConflictView({ conflict, saving, error, onMine, onTheirs }: NoteConflictViewProps) {
  const { theirs, yours } = conflict;
  return (
    <section className="note-conflict" aria-label="Choose a version">
      <p className="banner" role="alert">
        This note changed while you were editing: your text was written on version {yours.baseVersion || 'unknown'}, and it is now at version {theirs.version}.
        Choose which to keep.
      </p>
      <div className="note-conflict-columns">
        <ConflictColumn heading={`Theirs (version ${theirs.version})`} text={theirs} label="Their text" />
        <ConflictColumn heading="Yours (not saved)" text={yours} label="Your text" />
      </div>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      <div className="note-actions">
        <button type="button" className="button primary" disabled={saving} onClick={onMine}>
          Save mine
        </button>
        <button type="button" className="button" disabled={saving} onClick={onTheirs}>
          Keep theirs
        </button>
        <CopyButton text={yours} />
      </div>
    </section>
  );
}

/** One side of the conflict: its title and its text as typed (never rendered as Markdown here). */
function ConflictColumn({ heading, text, label }: { heading: string; text: NoteText; label: string }) {
  return (
    <div>
      <h3>{heading}</h3>
      <p className="note-conflict-title" dir="auto">
        {text.title}
      </p>
      <pre className="note-conflict-text" dir="auto" aria-label={label}>
        {text.body}
      </pre>
    </div>
  );
}
