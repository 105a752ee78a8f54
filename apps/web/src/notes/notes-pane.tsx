import { useEffect, useState, type FormEvent } from 'react';
import { NOTE_TITLE_MAX_CHARS, type NoteItem } from '@parley/client';
import { useNotes, useParleyClient } from '@parley/client/react';
import { useNow } from '../chat/use-now.ts';
import { errorMessage } from '../lib/errors.ts';
import { formatMessageTime } from '../lib/format-time.ts';
import { formatRoute, type Route } from '../lib/route.ts';
import { canWrite, type Me, type Partition } from '../lib/trpc.ts';
import { PaneHeader } from '../workspace/pane-header.tsx';
import { liveLock } from './note-lock-text.ts';
import { NoteView } from './note-view.tsx';
import './notes.css';

export interface NotesPaneProps {
  me: Me;
  partition: Partition;
  noteId: string | null;
  navigate: (route: Route, opts?: { replace?: boolean }) => void;
  onOpenSidebar: () => void;
}

/**
 * A workspace's notes: the list (live, from this device's copy while offline) and the open note
 * beside it; at phone widths one or the other.
 */
export function NotesPane({ me, partition, noteId, navigate, onOpenSidebar }: NotesPaneProps) {
  const partitionId = partition.id;
  const view = useNotes(partitionId);
  // A note just created opens in the editor.
  const [editOnOpen, setEditOnOpen] = useState<string | null>(null);
  const open = (id: string | null, opts?: { replace?: boolean }) => navigate({ view: 'notes', partitionId, noteId: id }, opts);
  const current = noteId ? view.notes.find((n) => n.id === noteId) : undefined;
  return (
    <section className={noteId ? 'notes-pane has-note' : 'notes-pane'} aria-label="Notes">
      <PaneHeader title={current ? current.title : 'Notes'} subtitle={partition.name} onOpenSidebar={onOpenSidebar}>
        {noteId && (
          <a className="button subtle small notes-back" href={formatRoute({ view: 'notes', partitionId, noteId: null })}>
            All notes
          </a>
        )}
      </PaneHeader>
      <div className="notes-columns">
        <NotesList
          me={me}
          partition={partition}
          notes={view.notes}
          status={view.status}
          cached={view.cached}
          error={view.error}
          activeNoteId={noteId}
          onCreated={(id) => {
            setEditOnOpen(id);
            open(id);
          }}
        />
        {noteId ? (
          <NoteView
            key={noteId}
            me={me}
            partition={partition}
            noteId={noteId}
            startEditing={editOnOpen === noteId}
            onClose={() => open(null)}
            onDeleted={() => open(null, { replace: true })}
          />
        ) : (
          <div className="note-placeholder muted">{view.notes.length > 0 ? 'Choose a note to read it.' : null}</div>
        )}
      </div>
    </section>
  );
}

interface NotesListProps {
  me: Me;
  partition: Partition;
  notes: readonly NoteItem[];
  status: 'idle' | 'loading' | 'ready' | 'error';
  cached: boolean;
  error: string | null;
  activeNoteId: string | null;
  onCreated: (noteId: string) => void;
}

function NotesList({ me, partition, notes, status, cached, error, activeNoteId, onCreated }: NotesListProps) {
  const [creating, setCreating] = useState(false);
  const unsaved = useUnsavedNoteIds(partition.id, notes);
  const now = useNow(
    15_000,
    notes.some((n) => n.lock),
  );
  return (
    <nav className="notes-list" aria-label="All notes">
      <div className="notes-list-heading">
        <h2>Notes</h2>
        {canWrite(partition.role) && (
          <button type="button" className="button small" aria-expanded={creating} onClick={() => setCreating((c) => !c)}>
            {creating ? 'Cancel' : 'New note'}
          </button>
        )}
      </div>
      {creating && (
        <NewNoteForm
          partitionId={partition.id}
          onCreated={(id) => {
            setCreating(false);
            onCreated(id);
          }}
        />
      )}
      {cached && <p className="muted notes-hint">Offline: these are the notes saved on this device.</p>}
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      {notes.length === 0 ? (
        <p className="muted notes-hint">
          {status === 'loading' || status === 'idle' ? 'Loading notes…' : canWrite(partition.role) ? 'No notes yet. Start one with New note.' : 'No notes yet.'}
        </p>
      ) : (
        <ul>
          {notes.map((note) => {
            const lock = liveLock(note.lock, now);
            return (
              <li key={note.id}>
                <a
                  href={formatRoute({ view: 'notes', partitionId: partition.id, noteId: note.id })}
                  aria-current={note.id === activeNoteId ? 'page' : undefined}
                >
                  <span className="note-link-title">{note.title}</span>
                  <span className="note-link-meta">
                    {lock ? (
                      <span className="note-lock-badge">{lock.holder.userId === me.id ? 'You are editing' : `${lock.holder.displayName} is editing`}</span>
                    ) : (
                      `${note.updatedByName} · ${formatMessageTime(note.updatedAt)}`
                    )}
                    {unsaved.has(note.id) && <span className="note-unsaved-badge">not saved</span>}
                  </span>
                </a>
              </li>
            );
          })}
        </ul>
      )}
    </nav>
  );
}

function NewNoteForm({ partitionId, onCreated }: { partitionId: string; onCreated: (noteId: string) => void }) {
  const client = useParleyClient();
  const [title, setTitle] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!title.trim()) {
      setError('Give the note a title.');
      return;
    }
    setPending(true);
    setError(null);
    client.notes
      .create({ partitionId, title: title.trim() })
      .then((note) => onCreated(note.id))
      .catch((e: unknown) => setError(errorMessage(e)))
      .finally(() => setPending(false));
  };
  return (
    <form className="new-note-form" onSubmit={submit} noValidate>
      <label>
        Title
        <input value={title} maxLength={NOTE_TITLE_MAX_CHARS} autoFocus onChange={(e) => setTitle(e.target.value)} aria-invalid={error ? true : undefined} />
      </label>
      <button type="submit" className="button primary small" disabled={pending}>
        {pending ? 'Creating…' : 'Create'}
      </button>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** Notes with text typed here and not saved yet (offline, a lost lock): the list marks them. */
function useUnsavedNoteIds(partitionId: string, notes: readonly NoteItem[]): ReadonlySet<string> {
  const client = useParleyClient();
  const [ids, setIds] = useState<ReadonlySet<string>>(() => new Set());
  useEffect(() => {
    let live = true;
    client.noteDrafts
      .list(partitionId)
      .then((drafts) => live && setIds(new Set(drafts.map((d) => d.noteId))))
      .catch(() => {});
    return () => {
      live = false;
    };
    // The list changes when a save lands: read the drafts again then.
  }, [client, partitionId, notes]);
  return ids;
}
