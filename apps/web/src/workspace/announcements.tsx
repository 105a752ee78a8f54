import { useId, useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { uuidv7 } from 'uuidv7';
import { errorMessage } from '../lib/errors.ts';
import { formatFullTime, formatMessageTime } from '../lib/format-time.ts';
import { ANNOUNCEMENT_MAX_CHARS } from '../lib/rooms.ts';
import { trpc, type Announcement } from '../lib/trpc.ts';
import './conversations.css';

type TrpcClient = ReturnType<typeof trpc.useUtils>['client'];

/**
 * Hides an announcement for me, on all my devices. The one place the app dismisses: each call
 * is one change with a fresh opId (so a retried request changes nothing twice).
 * @example await dismissAnnouncement(utils.client, { partitionId: 'acme', announcementId })
 */
export function dismissAnnouncement(client: TrpcClient, input: { partitionId: string; announcementId: string }) {
  return client.announcement.dismiss.mutate({ ...input, opId: uuidv7() });
}

/**
 * The workspace's announcements I have not dismissed, newest first, at the top of a room's
 * pane; each goes at once when dismissed (and comes back if the server refuses).
 */
export function AnnouncementBanner({ partitionId }: { partitionId: string }) {
  const utils = trpc.useUtils();
  const list = trpc.announcement.list.useQuery({ partitionId });
  const dismiss = useMutation({
    mutationFn: (announcementId: string) => dismissAnnouncement(utils.client, { partitionId, announcementId }),
    onMutate: async (announcementId) => {
      await utils.announcement.list.cancel({ partitionId });
      utils.announcement.list.setData({ partitionId }, (old) => old?.filter((a) => a.id !== announcementId));
    },
    onSettled: () => utils.announcement.list.invalidate({ partitionId }),
  });
  const announcements = list.data ?? [];
  if (announcements.length === 0 && !dismiss.error) return null;
  return (
    <section className="announcements" aria-label="Announcements">
      {dismiss.error && (
        <p className="error-text" role="alert">
          {errorMessage(dismiss.error)}
        </p>
      )}
      <ul>
        {announcements.map((a) => (
          <AnnouncementItem key={a.id} announcement={a} onDismiss={() => dismiss.mutate(a.id)} />
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
