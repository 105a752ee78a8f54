/**
 * The changes the outbox carries besides sends, and the checks the client makes before queueing
 * them. The rules themselves are `@parley/rules`, which the server enforces.
 */

/** The edit window, the reaction check and the reply quote are the server's own (`@parley/rules`). */
export { EDIT_WINDOW_MS, isReactionEmoji, REPLY_SNIPPET_CHARS, replySnippet } from '@parley/rules';

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
  /** The read position of one room (`read-store.ts`): a newer one for the same room replaces a queued older one. */
  | { readonly type: 'read.mark'; readonly roomId: string; readonly eventId: number }
  /** Every room of the workspace read to its last message ("Mark all read"). */
  | { readonly type: 'read.markAll' }
  /** How a room notifies this user (`notify-store.ts`). */
  | { readonly type: 'notify.set'; readonly roomId: string; readonly level: 'all' | 'mentions' | 'mute' }
  | { readonly type: 'user.block'; readonly userId: string }
  | { readonly type: 'user.unblock'; readonly userId: string };

/** @example `entry.kind === 'op' && entry.op.type === 'message.edit'` */
export type OutboxOpType = OutboxOp['type'];

const MESSAGE_OPS: ReadonlySet<OutboxOpType> = new Set(['message.edit', 'message.delete', 'reaction.add', 'reaction.remove', 'message.pin', 'message.unpin']);

export function isMessageOp(op: OutboxOp): op is MessageOp {
  return MESSAGE_OPS.has(op.type);
}

/**
 * Read marks (`read-store.ts`): bookkeeping, not something the person wrote. Views of what waits
 * to be sent leave them out; losing one costs only a stale unread count.
 * @example `entries.filter((e) => e.kind !== 'op' || !isReadOp(e.op))`
 */
export function isReadOp(op: OutboxOp): boolean {
  return op.type === 'read.mark' || op.type === 'read.markAll';
}

/** Ops without a partition (the server's `user.*` procedures). */
export function isUserOp(op: OutboxOp): op is Extract<OutboxOp, { type: 'user.block' | 'user.unblock' }> {
  return op.type === 'user.block' || op.type === 'user.unblock';
}
