import type { MessageStore } from './message-store.ts';
import type { DeleteScope, MessageOp } from './ops.ts';
import type { OpEntry, Outbox } from './outbox.ts';

/**
 * Changes to messages and announcements, each queued in the outbox (durable, in order, retried,
 * applied once by its opId) and shown at once in the message store's views. Each returns the
 * outbox entry (`clientId` to cancel or retry it); throws `OutboxError` for an empty or too long
 * edit or a reaction that is not one emoji. The server judges the rest (the 5-minute edit window
 * on its clock, who may delete or pin): a refusal shows on the message as `opError`.
 *
 * @example
 * ```ts
 * client.actions.react('acme', message.id, '🎉');
 * client.actions.delete('acme', message.id, 'everyone');
 * ```
 */
export interface MessageActions {
  edit(partitionId: string, messageId: string, body: string): OpEntry;
  /** `everyone`: a tombstone for all (the author; room and workspace admins as moderation); `me`: hidden for this user only. */
  delete(partitionId: string, messageId: string, scope: DeleteScope): OpEntry;
  react(partitionId: string, messageId: string, emoji: string): OpEntry;
  unreact(partitionId: string, messageId: string, emoji: string): OpEntry;
  pin(partitionId: string, messageId: string): OpEntry;
  unpin(partitionId: string, messageId: string): OpEntry;
  dismissAnnouncement(partitionId: string, announcementId: string): OpEntry;
}

/**
 * Builds the actions over an outbox and a message store (`createParleyClient` does; tests too).
 * @example
 * ```ts
 * const actions = messageActions({ outbox, messages, me: () => me.id });
 * ```
 */
export function messageActions(deps: { outbox: Outbox; messages: MessageStore; me?: (() => string | null | undefined) | undefined }): MessageActions {
  const queue = (partitionId: string, op: MessageOp) =>
    deps.outbox.act({ partitionId, op, roomId: deps.messages.roomOf(partitionId, op.messageId), actorId: deps.me?.() ?? null });
  return {
    edit: (partitionId, messageId, body) => queue(partitionId, { type: 'message.edit', messageId, body }),
    delete: (partitionId, messageId, scope) => queue(partitionId, { type: 'message.delete', messageId, scope }),
    react: (partitionId, messageId, emoji) => queue(partitionId, { type: 'reaction.add', messageId, emoji }),
    unreact: (partitionId, messageId, emoji) => queue(partitionId, { type: 'reaction.remove', messageId, emoji }),
    pin: (partitionId, messageId) => queue(partitionId, { type: 'message.pin', messageId }),
    unpin: (partitionId, messageId) => queue(partitionId, { type: 'message.unpin', messageId }),
    dismissAnnouncement: (partitionId, announcementId) =>
      deps.outbox.act({ partitionId, op: { type: 'announcement.dismiss', announcementId }, actorId: deps.me?.() ?? null }),
  };
}
