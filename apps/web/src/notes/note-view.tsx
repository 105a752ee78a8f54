import { useEffect, useRef, useState } from 'react';
import { useNote, useNoteEditor, useParleyClient } from '@parley/client/react';
import { ConfirmDialog } from '../chat/confirm-dialog.tsx';
import { MessageBody } from '../chat/message-body.tsx';
import { useNow } from '../chat/use-now.ts';
import { errorMessage } from '../lib/errors.ts';
import { formatFullTime, formatMessageTime } from '../lib/format-time.ts';
import { canManageInvites as isWorkspaceModerator, canWrite, type Me, type Partition } from '../lib/trpc.ts';
import { NoteConflictView, NoteEditForm, NoteKeptText } from './note-edit.tsx';
import { NoteHistory } from './note-history.tsx';
import { liveLock, lockText } from './note-lock-text.ts';

export interface NoteViewProps {
  me: Me;
  partition: Partition;
  noteId: string;
  /** Take the lock as soon as the note opens (it was just created). */
  startEditing: boolean;
  onClose: () => void;
  onDeleted: () => void;
}

/**
 * One note: read (live: someone's save shows at once), or edited under its lock. Which view
 * shows follows the lock helper (`useNoteEditor`): `held`/`locking`/`offline-draft` edit; a lost
 * lock or a draft that could not be saved keeps the text on screen (copy, retry, discard); a
 * draft whose note moved on shows both texts.
 */
export function NoteView({ me, partition, noteId, startEditing, onClose, onDeleted }: NoteViewProps) {
  const partitionId = partition.id;
  const client = useParleyClient();
  const { note, deleted, error: readError } = useNote(partitionId, noteId);
  const editor = useNoteEditor(partitionId, noteId);
  // The person wants the editor open. Save and Cancel clear it: once nothing is left unsaved, the lock goes back.
  const [keepOpen, setKeepOpen] = useState(false);
  // A history restore in flight takes the lock for a moment: not released under it.
  const [busy, setBusy] = useState(false);
  const [confirm, setConfirm] = useState<'delete' | 'unlock' | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [showHistory, setShowHistory] = useState(false);
  const started = useRef(false);

  const { ready, acquire, release } = editor;
  useEffect(() => {
    if (!startEditing || started.current || !ready) return;
    started.current = true;
    setKeepOpen(true);
    void acquire();
  }, [startEditing, ready, acquire]);

  const done = editor.status === 'held' && !keepOpen && !busy && !editor.draft && !editor.conflict && !editor.saving;
  useEffect(() => {
    if (done) void release();
  }, [done, release]);

  const lock = note?.lock ?? null;
  const now = useNow(1000, lock !== null || editor.status === 'held');
  const role = partition.role;
  const mayEdit = canWrite(role);
  const othersLock = editor.status === 'held' ? null : liveLock(lock, now);
  const text = editor.draft ?? editor.note ?? (note ? { title: note.title, body: note.body ?? '' } : null);

  if (editor.conflict) {
    return (
      <article className="note-view">
        <NoteConflictView
          conflict={editor.conflict}
          saving={editor.saving}
          error={editor.error}
          onMine={() => {
            setKeepOpen(false);
            void editor.resolve('mine');
          }}
          onTheirs={() => {
            setKeepOpen(false);
            void editor.resolve('theirs');
          }}
        />
      </article>
    );
  }
  if (editor.status === 'lost' || (editor.status === 'idle' && editor.draft)) {
    return (
      <article className="note-view">
        <NoteKeptText
          text={editor.draft ?? { title: note?.title ?? '', body: '' }}
          reason={editor.error ?? 'Your text was not saved.'}
          deleted={deleted}
          onRetry={() => {
            setKeepOpen(false);
            void editor.save();
          }}
          onDiscard={() => {
            setKeepOpen(false);
            void editor.cancel();
          }}
        />
      </article>
    );
  }
  // A restore from the history holds the lock for a moment, and a saved note holds it until the
  // release: the reader's view stays (no editor flashing by).
  const editing =
    !busy &&
    (editor.status === 'locking' || editor.status === 'offline-draft' || (editor.status === 'held' && (keepOpen || editor.draft !== null || editor.saving)));
  if (editing) {
    return (
      <article className="note-view">
        <NoteEditForm
          text={text ?? { title: '', body: '' }}
          status={editor.status === 'idle' ? 'locking' : editor.status}
          expiresIn={editor.expiresAt ? Date.parse(editor.expiresAt) - now : null}
          saving={editor.saving}
          error={editor.error}
          onEdit={(title, body) => editor.edit(title, body)}
          onSave={() => {
            setKeepOpen(false);
            void editor.save();
          }}
          onCancel={() => {
            setKeepOpen(false);
            void editor.cancel();
          }}
        />
      </article>
    );
  }

  if (deleted) {
    return (
      <article className="note-view">
        <p className="muted">This note was deleted.</p>
        <button type="button" className="button" onClick={onClose}>
          All notes
        </button>
      </article>
    );
  }
  if (!note) {
    return (
      <article className="note-view">
        {readError ? (
          <p className="error-text" role="alert">
            {readError}
          </p>
        ) : (
          <p className="muted" role="status">
            Loading the note…
          </p>
        )}
      </article>
    );
  }

  const lockLine = lockText(othersLock, me.id, now);
  const mayDelete = mayEdit && (note.createdBy === me.id || isWorkspaceModerator(role));
  const run = (action: Promise<unknown>) => {
    setActionError(null);
    action.catch((e: unknown) => setActionError(errorMessage(e)));
  };
  return (
    <article className="note-view" aria-labelledby={`note-title-${note.id}`}>
      <header className="note-header">
        <h2 id={`note-title-${note.id}`} dir="auto">
          {note.title}
        </h2>
        <p className="muted note-meta">
          Version {note.version} · saved by {note.updatedByName}, <time title={formatFullTime(note.updatedAt)}>{formatMessageTime(note.updatedAt)}</time>
        </p>
      </header>
      {lockLine && (
        <p className="note-lock" role="status">
          <span aria-hidden="true">🔒 </span>
          {lockLine}
        </p>
      )}
      <div className="note-actions">
        {mayEdit && (
          <button
            type="button"
            className="button primary"
            disabled={othersLock !== null && othersLock.holder.userId !== me.id}
            title={othersLock ? `${othersLock.holder.displayName} holds the lock; it is free again when they save, cancel or stop renewing it.` : undefined}
            onClick={() => {
              setKeepOpen(true);
              void editor.acquire();
            }}
          >
            {othersLock && othersLock.holder.userId !== me.id ? `Edit · ${othersLock.holder.displayName} is editing` : 'Edit'}
          </button>
        )}
        <button type="button" className="button subtle" aria-expanded={showHistory} onClick={() => setShowHistory((s) => !s)}>
          {showHistory ? 'Hide history' : 'History'}
        </button>
        {othersLock && isWorkspaceModerator(role) && (
          <button type="button" className="button subtle" onClick={() => setConfirm('unlock')}>
            Force unlock
          </button>
        )}
        {mayDelete && (
          <button type="button" className="button subtle danger-text" onClick={() => setConfirm('delete')}>
            Delete
          </button>
        )}
      </div>
      {(editor.error || actionError) && (
        <p className="error-text" role="alert">
          {actionError ?? editor.error}
        </p>
      )}
      {note.body ? <MessageBody className="note-body" body={note.body} /> : <p className="muted">This note is empty.</p>}
      {showHistory && (
        <NoteHistory
          partitionId={partitionId}
          noteId={noteId}
          currentVersion={note.version}
          mayRestore={mayEdit && othersLock === null}
          onRestore={async (version) => {
            setBusy(true);
            setActionError(null);
            try {
              if (await editor.acquire()) await editor.restore(version);
            } finally {
              setBusy(false);
            }
          }}
        />
      )}
      {confirm === 'delete' && (
        <ConfirmDialog
          title={`Delete “${note.title}”?`}
          description="The note and its history go for everyone in this workspace. This cannot be undone."
          confirmLabel="Delete note"
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            setConfirm(null);
            run(client.notes.delete(partitionId, noteId).then(onDeleted));
          }}
        />
      )}
      {confirm === 'unlock' && othersLock && (
        <ConfirmDialog
          title={`Unlock “${note.title}”?`}
          description={`${othersLock.holder.displayName} can no longer save over the note; their unsaved text stays with them. This is recorded in the audit log.`}
          confirmLabel="Force unlock"
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            setConfirm(null);
            run(client.notes.forceUnlock(partitionId, noteId));
          }}
        />
      )}
    </article>
  );
}
