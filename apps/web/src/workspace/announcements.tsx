import { useId, useState, type FormEvent } from 'react';
import { uuidv7 } from 'uuidv7';
import type { OpEntry, ParleyClient } from '@parley/client';
import { useOutbox, useParleyClient } from '@parley/client/react';
import { errorMessage } from '../lib/errors.ts';
import { formatFullTime, formatMessageTime } from '../lib/format-time.ts';
import { ANNOUNCEMENT_MAX_CHARS } from '../lib/rooms.ts';
import { trpc, type Announcement } from '../lib/trpc.ts';
import './conversations.css';

/**
 * Hides an announcement for me, on all my devices. The one place the app dismisses: through the
 * client's durable outbox (in order with the rest, kept while offline, sent once by its opId).
 * @example dismissAnnouncement(client, 'acme', announcementId)
 */
export function dismissAnnouncement(client: ParleyClient, partitionId: string, announcementId: string) {
  return client.actions.dismissAnnouncement(partitionId, announcementId);
}

/**
 * The workspace's announcements I have not dismissed, newest first, at the top of a room's
 * pane. A dismissal shows at once (while it waits in the outbox, offline too); one the server
 * refuses shows its reason until taken back.
 */
export function AnnouncementBanner({ partitionId }: { partitionId: string }) {
  const client = useParleyClient();
  const list = trpc.announcement.list.useQuery({ partitionId });
  const outbox = useOutbox(partitionId);
  const dismissals = outbox.entries.filter(
    (e): e is OpEntry & { op: { type: 'announcement.dismiss'; announcementId: string } } => e.kind === 'op' && e.op.type === 'announcement.dismiss',
  );
  const hidden = new Set(dismissals.filter((e) => e.status !== 'failed').map((e) => e.op.announcementId));
  const refused = dismissals.find((e) => e.status === 'failed');
  const announcements = (list.data ?? []).filter((a) => !hidden.has(a.id));
  if (announcements.length === 0 && !refused) return null;
  return (
    <section className="announcements" aria-label="Announcements">
      {refused && (
        <p className="error-text" role="alert">
          {refused.error ?? 'Could not dismiss the announcement.'}{' '}
          <button type="button" className="button subtle" onClick={() => outbox.cancel(refused.clientId)}>
            OK
          </button>
        </p>
      )}
      <ul>
        {announcements.map((a) => (
          <AnnouncementItem key={a.id} announcement={a} onDismiss={() => dismissAnnouncement(client, partitionId, a.id)} />
        ))}
      </ul>
    </section>
  );
}

function AnnouncementItem({ announcement: a, onDismiss }: { announcement: Announcement; onDismiss: () => void }) {
  return (
    <li className="announcement">
      <div className="announcement-meta">
        <span className="announcement-label">Announcement</span> from <strong>{a.authorName}</strong> ·{' '}
        <time dateTime={a.createdAt} title={formatFullTime(a.createdAt)}>
          {formatMessageTime(a.createdAt)}
        </time>
      </div>
      <p className="announcement-body">{a.body}</p>
      <button type="button" className="button subtle small" aria-label={`Dismiss announcement from ${a.authorName}`} onClick={onDismiss}>
        Dismiss
      </button>
    </li>
  );
}

/** "Post announcement" (workspace owners and admins): a small form that reaches every member. */
export function PostAnnouncement({ partitionId }: { partitionId: string }) {
  const [open, setOpen] = useState(false);
  const [body, setBody] = useState('');
  const fieldId = useId();
  const utils = trpc.useUtils();
  const post = trpc.announcement.create.useMutation({
    onSuccess: () => {
      setBody('');
      setOpen(false);
      return utils.announcement.list.invalidate({ partitionId });
    },
  });
  if (!open) {
    return (
      <button type="button" className="link-button post-announcement" onClick={() => setOpen(true)}>
        Post announcement
      </button>
    );
  }
  const tooLong = body.trim().length > ANNOUNCEMENT_MAX_CHARS;
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    post.mutate({ partitionId, body, opId: uuidv7() });
  };
  return (
    <form className="inline-form announcement-form" onSubmit={onSubmit} aria-label="Post announcement">
      <label htmlFor={fieldId}>Announcement to everyone in the workspace</label>
      <textarea id={fieldId} value={body} rows={3} onChange={(event) => setBody(event.target.value)} required />
      <p className={tooLong ? 'error-text' : 'hint'}>
        {body.trim().length} / {ANNOUNCEMENT_MAX_CHARS}
        {tooLong ? ' — too long to post.' : ''}
      </p>
      <div className="inline-form-row">
        <button type="submit" className="button primary" disabled={post.isPending || !body.trim() || tooLong}>
          {post.isPending ? 'Posting…' : 'Post'}
        </button>
        <button
          type="button"
          className="button subtle"
          onClick={() => {
            setOpen(false);
            post.reset();
          }}
        >
          Cancel
        </button>
      </div>
      {post.error && (
        <p className="error-text" role="alert">
          {errorMessage(post.error)}
        </p>
      )}
    </form>
  );
}
