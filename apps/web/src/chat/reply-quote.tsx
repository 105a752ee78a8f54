import { markdownToText, type ReplyRef } from '@parley/client';

/**
 * The message a reply answers, above it: "↪ Ada: snippet…" (or that the original was deleted).
 * A button: it takes the reader to the original.
 */
export function ReplyQuote({ replyTo, onJump }: { replyTo: ReplyRef; onJump: (messageId: string) => void }) {
  const text = replyTo.deleted ? 'Original message deleted' : `${replyTo.authorName || 'Someone'}: ${markdownToText(replyTo.snippet)}`;
  return (
    <button
      type="button"
      className={replyTo.deleted ? 'reply-quote deleted' : 'reply-quote'}
      title="Show the original message"
      onClick={() => onJump(replyTo.id)}
    >
      <span aria-hidden="true">↪ </span>
      <span className="visually-hidden">In reply to </span>
      <span dir="auto">{text}</span>
    </button>
  );
}
