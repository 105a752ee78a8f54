import { useEffect, useState } from 'react';
import type { NoteVersionDto } from '@parley/client';
import { useParleyClient } from '@parley/client/react';
import { MessageBody } from '../chat/message-body.tsx';
import { errorMessage } from '../lib/errors.ts';
import { formatFullTime, formatMessageTime } from '../lib/format-time.ts';

export interface NoteHistoryProps {
  partitionId: string;
  noteId: string;
  /** Read again when it changes (a save landed). */
  currentVersion: number;
  /** The person may edit and nobody else holds the lock. */
  mayRestore: boolean;
  onRestore: (version: number) => Promise<void>;
}

/** A note's versions, newest first (`note.history`, paged); one can be read and restored as the next version. */
export function NoteHistory({ partitionId, noteId, currentVersion, mayRestore, onRestore }: NoteHistoryProps) {
  const client = useParleyClient();
  const [versions, setVersions] = useState<NoteVersionDto[]>([]);
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [shown, setShown] = useState<number | null>(null);
  const [restoring, setRestoring] = useState(false);

  useEffect(() => {
    let live = true;
    setLoading(true);
    client.notes
      .history(partitionId, noteId)
      .then((page) => {
        if (!live) return;
        setVersions(page.versions);
        setNextBefore(page.nextBefore);
        setError(null);
      })
      .catch((e: unknown) => live && setError(errorMessage(e)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [client, partitionId, noteId, currentVersion]);

  const older = () => {
    if (nextBefore === null) return;
    setLoading(true);
    client.notes
      .history(partitionId, noteId, { before: nextBefore })
      .then((page) => {
        setVersions((v) => [...v, ...page.versions]);
        setNextBefore(page.nextBefore);
      })
      .catch((e: unknown) => setError(errorMessage(e)))
      .finally(() => setLoading(false));
  };

  const selected = versions.find((v) => v.version === shown);
  return (
    <section className="note-history" aria-label="History">
      <h3>History</h3>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      <ol>
        {versions.map((v) => (
          <li key={v.version}>
            <button type="button" className="link-button" aria-pressed={v.version === shown} onClick={() => setShown(v.version === shown ? null : v.version)}>
              Version {v.version}
            </button>{' '}
            <span className="muted">
              {v.savedByName}, <time title={formatFullTime(v.savedAt)}>{formatMessageTime(v.savedAt)}</time>
              {v.version === currentVersion && ' · current'}
            </span>
          </li>
        ))}
      </ol>
      {loading && <p className="muted">Loading versions…</p>}
      {nextBefore !== null && !loading && (
        <button type="button" className="button small subtle" onClick={older}>
          Older versions
        </button>
      )}
      {selected && (
        <div className="note-version">
          <p className="note-conflict-title" dir="auto">
            {selected.title}
          </p>
          {selected.body ? <MessageBody className="note-body" body={selected.body} /> : <p className="muted">Empty.</p>}
          {mayRestore && selected.version !== currentVersion && (
            <button
              type="button"
              className="button"
              disabled={restoring}
              onClick={() => {
                setRestoring(true);
                void onRestore(selected.version).finally(() => setRestoring(false));
              }}
            >
              {restoring ? 'Restoring…' : `Restore version ${selected.version}`}
            </button>
          )}
        </div>
      )}
    </section>
  );
}
