import type { MessageDto, ParleyEvent } from '@parley/api';
import { replySnippet, type MessageOp } from './ops.ts';

/**
 * A server message as the store keeps it: the DTO plus `asOf`, the partition event id it
 * reflects (a page's `asOf`, or its own `message.created` id). A change event with an id at or
 * below it is already in it.
 */
export type StoredMessage = MessageDto & { readonly asOf: number };

/** The events that change a message after it was created. */
export type MessageChangeEvent = Extract<
  ParleyEvent,
  { type: 'message.edited' | 'message.deleted' | 'message.hidden' | 'message.pinned' | 'message.unpinned' | 'reaction.added' | 'reaction.removed' }
>;

const CHANGE_TYPES: ReadonlySet<ParleyEvent['type']> = new Set([
  'message.edited',
  'message.deleted',
  'message.hidden',
  'message.pinned',
  'message.unpinned',
  'reaction.added',
  'reaction.removed',
]);

export function isMessageChange(event: ParleyEvent): event is MessageChangeEvent {
  return CHANGE_TYPES.has(event.type);
}

/** The message a change event is about. */
export function changedMessageId(event: MessageChangeEvent): string {
  return event.type === 'reaction.added' || event.type === 'reaction.removed' ? event.data.messageId : event.data.id;
}

function withReaction(reactions: MessageDto['reactions'], emoji: string, userId: string, on: boolean): MessageDto['reactions'] {
  const existing = reactions.find((r) => r.emoji === emoji);
  if (on) {
    if (existing?.userIds.includes(userId)) return reactions;
    // A new emoji goes last, a new person last in it: the server's "first reacted first".
    return existing ? reactions.map((r) => (r === existing ? { emoji, userIds: [...r.userIds, userId] } : r)) : [...reactions, { emoji, userIds: [userId] }];
  }
  if (!existing?.userIds.includes(userId)) return reactions;
  const userIds = existing.userIds.filter((u) => u !== userId);
  return userIds.length === 0 ? reactions.filter((r) => r !== existing) : reactions.map((r) => (r === existing ? { emoji, userIds } : r));
}

/** What a tombstone keeps: the server removes the text, the reactions and the pin. */
function tombstone<M extends MessageDto>(m: M, deletedAt: string): M {
  return { ...m, body: '', deletedAt, reactions: [], pinnedAt: null, pinnedBy: null };
}

/**
 * Applies a change event to a stored message: to the message itself when the event is newer
 * than what it reflects (then `asOf` moves to the event), and to its quote of the message it
 * answers (an edit or a deletion of the original). Returns the same object when nothing changes.
 * `message.hidden` is the store's business (the message leaves the view), not this function's.
 *
 * A tombstone takes no more edits, reactions or pins: the server refuses them after a deletion,
 * so such an event is an older one replayed onto a newer copy (a resend's answer).
 */
export function applyChange(m: StoredMessage, event: MessageChangeEvent): StoredMessage {
  if (event.id <= m.asOf) return m;
  const target = changedMessageId(event);
  if (target !== m.id) {
    if (m.replyTo?.id !== target) return m;
    if (event.type === 'message.edited' && !m.replyTo.deleted) return { ...m, replyTo: { ...m.replyTo, snippet: replySnippet(event.data.body) } };
    if (event.type === 'message.deleted') return { ...m, replyTo: { ...m.replyTo, snippet: '', deleted: true } };
    return m;
  }
  const next = { ...m, asOf: event.id };
  switch (event.type) {
    case 'message.edited':
      return m.deletedAt ? next : { ...next, body: event.data.body, editedAt: event.data.editedAt };
    case 'message.deleted':
      return m.deletedAt ? next : tombstone(next, event.data.deletedAt);
    case 'message.pinned':
      return m.deletedAt ? next : { ...next, pinnedAt: event.data.pinnedAt, pinnedBy: event.data.pinnedBy };
    case 'message.unpinned':
      return { ...next, pinnedAt: null, pinnedBy: null };
    case 'reaction.added':
      return m.deletedAt ? next : { ...next, reactions: withReaction(m.reactions, event.data.emoji, event.data.userId, true) };
    case 'reaction.removed':
      return { ...next, reactions: withReaction(m.reactions, event.data.emoji, event.data.userId, false) };
    case 'message.hidden':
      return next;
  }
}

/**
 * A pending (or just answered) op shown on top of the server's copy. Null: the message is
 * hidden (deleted for me). `at` is when the op was made (ISO), `actorId` who made it.
 */
export function applyOp<M extends MessageDto>(m: M, op: MessageOp, actorId: string, at: string): M | null {
  switch (op.type) {
    case 'message.edit':
      return m.deletedAt || m.body === op.body ? m : { ...m, body: op.body, editedAt: at };
    case 'message.delete':
      if (op.scope === 'me') return null;
      return m.deletedAt ? m : tombstone(m, at);
    case 'message.pin':
      return m.deletedAt || m.pinnedAt ? m : { ...m, pinnedAt: at, pinnedBy: actorId };
    case 'message.unpin':
      return m.pinnedAt ? { ...m, pinnedAt: null, pinnedBy: null } : m;
    case 'reaction.add':
    case 'reaction.remove': {
      if (op.type === 'reaction.add' && m.deletedAt) return m;
      const reactions = withReaction(m.reactions, op.emoji, actorId, op.type === 'reaction.add');
      return reactions === m.reactions ? m : { ...m, reactions };
    }
  }
}

/**
 * Whether the server's copy already shows what an answered op did (or can no longer show it: a
 * tombstone takes no edits, reactions or pins): then the op's overlay can go.
 */
export function opSatisfied(m: MessageDto | undefined, hidden: boolean, op: MessageOp, actorId: string): boolean {
  if (!m || hidden) return true;
  switch (op.type) {
    case 'message.edit':
      return Boolean(m.deletedAt) || m.body === op.body;
    case 'message.delete':
      return op.scope === 'everyone' && Boolean(m.deletedAt);
    case 'message.pin':
      return Boolean(m.deletedAt || m.pinnedAt);
    case 'message.unpin':
      return !m.pinnedAt;
    case 'reaction.add':
      return Boolean(m.deletedAt) || m.reactions.some((r) => r.emoji === op.emoji && r.userIds.includes(actorId));
    case 'reaction.remove':
      return !m.reactions.some((r) => r.emoji === op.emoji && r.userIds.includes(actorId));
  }
}
