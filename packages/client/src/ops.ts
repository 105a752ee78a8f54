/**
 * The changes the outbox carries besides sends, and the checks the client makes before queueing
 * them. Rules mirrored from the server (`packages/api`, imported there as values, here only as
 * types): change them together.
 */

/**
 * Mirrors the server's `EDIT_WINDOW_MS`: a message can be edited for 5 minutes after it was sent
 * (on the server's database clock, which decides; use this only to hide an "Edit" button).
 * @example
 * ```ts
 * const editable = Date.now() - Date.parse(message.createdAt) < EDIT_WINDOW_MS;
 * ```
 */
export const EDIT_WINDOW_MS = 5 * 60_000;

/** `everyone`: a tombstone for all; `me`: hidden for this user only. @example `client.actions.delete(pid, id, 'me')` */
export type DeleteScope = 'everyone' | 'me';

/** An op on one message. @example `{ type: 'reaction.add', messageId, emoji: '👍' }` */
export type MessageOp =
  | { readonly type: 'message.edit'; readonly messageId: string; readonly body: string }
  | { readonly type: 'message.delete'; readonly messageId: string; readonly scope: DeleteScope }
  | { readonly type: 'reaction.add'; readonly messageId: string; readonly emoji: string }
  | { readonly type: 'reaction.remove'; readonly messageId: string; readonly emoji: string }
  | { readonly type: 'message.pin'; readonly messageId: string }
  | { readonly type: 'message.unpin'; readonly messageId: string };

/**
 * Everything the outbox can carry besides sends. `user.*` are user-wide (no partition).
 * @example
 * ```ts
 * client.outbox.act({ partitionId: null, op: { type: 'user.block', userId } });
 * ```
 */
export type OutboxOp =
  | MessageOp
  | { readonly type: 'announcement.dismiss'; readonly announcementId: string }
  | { readonly type: 'user.block'; readonly userId: string }
  | { readonly type: 'user.unblock'; readonly userId: string };

/** @example `entry.kind === 'op' && entry.op.type === 'message.edit'` */
export type OutboxOpType = OutboxOp['type'];

const MESSAGE_OPS: ReadonlySet<OutboxOpType> = new Set(['message.edit', 'message.delete', 'reaction.add', 'reaction.remove', 'message.pin', 'message.unpin']);

export function isMessageOp(op: OutboxOp): op is MessageOp {
  return MESSAGE_OPS.has(op.type);
}

/** Ops without a partition (the server's `user.*` procedures). */
export function isUserOp(op: OutboxOp): op is Extract<OutboxOp, { type: 'user.block' | 'user.unblock' }> {
  return op.type === 'user.block' || op.type === 'user.unblock';
}

// The server's rule (reaction.schema.ts): one RGI emoji, or a lone pictograph with or without
// its variation selector. Built at run time: engines without the `v` flag skip the check (the
// server checks anyway).
const EMOJI: RegExp | null = (() => {
  try {
    return new RegExp('^(?:\\p{RGI_Emoji}|\\p{Extended_Pictographic}\\uFE0F?)$', 'v');
  } catch {
    return null;
  }
})();

/**
 * Whether `emoji` is one emoji the server accepts as a reaction (true where the engine cannot tell).
 * @example
 * ```ts
 * isReactionEmoji('👍'); // true
 * isReactionEmoji('ok'); // false
 * ```
 */
export function isReactionEmoji(emoji: string): boolean {
  if (emoji.length === 0 || emoji.length > 32) return false;
  return EMOJI ? EMOJI.test(emoji) : true;
}

/** Mirrors the server's `REPLY_SNIPPET_CHARS`: how much of the original a reply quotes. @example `replySnippet(body).length <= REPLY_SNIPPET_CHARS` */
export const REPLY_SNIPPET_CHARS = 140;

/**
 * The quote of `body` a reply shows, as the server makes it (whitespace folded, 140 characters).
 * @example
 * ```ts
 * replySnippet('line one\n\nline two'); // 'line one line two'
 * ```
 */
export function replySnippet(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > REPLY_SNIPPET_CHARS ? `${flat.slice(0, REPLY_SNIPPET_CHARS - 1)}…` : flat;
}
