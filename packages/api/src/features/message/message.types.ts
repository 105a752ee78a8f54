import type { AttachmentDto } from '../media/media.types.ts';

/** The message a reply answers, as the reply shows it (a snippet that jumps to the original). */
export interface ReplyRef {
  id: string;
  authorId: string;
  authorName: string;
  /** The start of the original's text ('' once it was deleted for everyone). */
  snippet: string;
  /** The original was deleted for everyone. */
  deleted: boolean;
}

/** One emoji on a message: who put it there, in the order they did. */
export interface ReactionDto {
  emoji: string;
  userIds: string[];
}

export interface MessageDto {
  id: string;
  partitionId: string;
  roomId: string;
  /** The sender's idempotency key (UUIDv7): the same key always means the same message. */
  clientId: string;
  authorId: string;
  authorName: string;
  /** Plain text with a safe Markdown subset; never HTML. '' once deleted for everyone. */
  body: string;
  /** The message's position in the partition's event log. */
  eventId: number;
  createdAt: string;
  /** The message this one answers, if any. */
  replyTo: ReplyRef | null;
  /** When its text was last changed (null: never). */
  editedAt: string | null;
  /** Deleted for everyone (a tombstone: the body is gone from storage). */
  deletedAt: string | null;
  pinnedAt: string | null;
  pinnedBy: string | null;
  reactions: ReactionDto[];
  /** The file it carries (at most one), or null. */
  attachment: AttachmentDto | null;
  /**
   * Who the message mentions, as sent (`<@id>` tokens of its body, checked then): user ids, and
   * `'room'` for `@room`. Fixed at sending: an edit neither adds nor removes any.
   */
  mentions: string[];
  /**
   * Set (true) when the reader has blocked the author: clients collapse it behind a
   * "blocked user" placeholder the reader can open. Absent otherwise.
   */
  authorBlocked?: true;
}
