import { markdownToText, shouldNotify, type MessageDto, type NotifyLevel } from '@parley/client';
import { formatRoute } from '../lib/route.ts';

/** A message older than this when it reaches the page is history (a resume's replay), not news. */
export const NOTIFY_FRESH_MS = 2 * 60_000;
const BODY_MAX_CHARS = 180;

export interface NotificationSpec {
  title: string;
  body: string;
  /** One notification per message, whichever tab (or device) shows it. */
  tag: string;
  /** Where a click opens the app: the message, with the history around it. */
  url: string;
}

/**
 * The notification a new message deserves for this reader, or null: by the room's level (`all`
 * every message, `mentions` those that mention them or `@room`, `mute` none; DMs default to
 * `all`), never for their own messages, a deleted one or an old one.
 */
export function notificationFor(
  message: Pick<MessageDto, 'id' | 'partitionId' | 'roomId' | 'authorId' | 'authorName' | 'body' | 'createdAt' | 'deletedAt'> & {
    mentions?: readonly string[] | undefined;
  },
  ctx: {
    meId: string;
    level: NotifyLevel;
    room: { kind: string; name: string } | undefined;
    nameOf: (userId: string) => string | undefined;
    now: number;
    origin: string;
  },
): NotificationSpec | null {
  if (message.deletedAt) return null;
  if (ctx.now - Date.parse(message.createdAt) > NOTIFY_FRESH_MS) return null;
  if (!shouldNotify({ level: ctx.level, authorId: message.authorId, mentions: message.mentions }, ctx.meId)) return null;
  const isDm = ctx.room?.kind === 'dm';
  const title = isDm || !ctx.room ? message.authorName : `${message.authorName} in #${ctx.room.name}`;
  let body = markdownToText(message.body, ctx.nameOf) || 'Sent a file';
  if (body.length > BODY_MAX_CHARS) body = `${body.slice(0, BODY_MAX_CHARS - 1)}…`;
  const hash = formatRoute({ view: 'room', partitionId: message.partitionId, roomId: message.roomId, messageId: message.id });
  return { title, body, tag: `parley:${message.partitionId}:${message.id}`, url: `${ctx.origin}/${hash}` };
}
