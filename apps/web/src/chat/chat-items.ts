import type { ChatAttachment, ChatMessage, ChatReaction, ReplyRef } from '@parley/client';
import type { ReadInfo } from '../attention/receipts.ts';

/** One row of the message list. */
export interface ChatItem {
  key: string;
  /** The server's id (null while the message is on its way). */
  id: string | null;
  authorId: string;
  authorName: string;
  /** '' for a tombstone. */
  body: string;
  createdAt: string;
  /** `queued`: waiting in the outbox (offline); `sending`: on its way; `sent`: the server has it. */
  status: 'sent' | 'sending' | 'queued' | 'failed';
  error: string | null;
  clientId: string;
  /** False when it continues the previous row's author within a few minutes. */
  showHeader: boolean;
  replyTo: ReplyRef | null;
  editedAt: string | null;
  deletedAt: string | null;
  pinnedAt: string | null;
  pinnedBy: string | null;
  reactions: readonly ChatReaction[];
  /** Who it mentions (user ids, `'room'`): a row mentioning me is highlighted. */
  mentions?: readonly string[] | undefined;
  /** I blocked the author: shown collapsed until opened. */
  authorBlocked: boolean;
  /** My changes to it still on their way ("saving…"). */
  pendingOps: number;
  /** Why my latest change to it was refused; `opErrorId` dismisses it. */
  opError: string | null;
  opErrorId: string | null;
  /** Its file: a thumbnail or a chip, with the upload's progress while it is mine and on its way. */
  attachment: (ChatAttachment & { readonly partitionId: string }) | null;
  /** Its position in the workspace's event log (null while on its way): read positions compare with it. */
  eventId: number | null;
  /** Mine and read by someone (receipts, `attention/receipts.ts`). */
  read?: ReadInfo | undefined;
}

/** Rows by the same author closer than this share one header (as most chat apps group them). */
export const GROUP_WINDOW_MS = 5 * 60_000;

function statusOf(m: ChatMessage): ChatItem['status'] {
  if (m.status === 'SENT') return 'sent';
  if (m.status === 'FAILED') return 'failed';
  return m.queued ? 'queued' : 'sending';
}

/**
 * The store's view (server order, then mine still pending) as rows: pending ones are mine, and
 * consecutive rows of one author share a header (a collapsed one from a blocked author never
 * does: its name is not shown).
 */
export function toChatItems(messages: readonly ChatMessage[], me: { id: string; displayName: string }): ChatItem[] {
  const rows = messages.map((m) => ({
    key: m.key,
    id: m.id,
    authorId: m.authorId ?? me.id,
    authorName: m.authorName ?? me.displayName,
    body: m.body,
    createdAt: m.createdAt,
    status: statusOf(m),
    error: m.error,
    clientId: m.clientId,
    replyTo: m.replyTo ?? null,
    editedAt: m.editedAt ?? null,
    deletedAt: m.deletedAt ?? null,
    pinnedAt: m.pinnedAt ?? null,
    pinnedBy: m.pinnedBy ?? null,
    reactions: m.reactions ?? [],
    mentions: m.mentions ?? [],
    authorBlocked: m.authorBlocked ?? false,
    pendingOps: m.pendingOps ?? 0,
    opError: m.opError ?? null,
    opErrorId: m.opErrorId ?? null,
    attachment: m.attachment ? { ...m.attachment, partitionId: m.partitionId } : null,
    eventId: m.eventId ?? null,
  }));
  return rows.map((row, i) => {
    const previous = rows[i - 1];
    const continues =
      previous !== undefined &&
      !previous.authorBlocked &&
      previous.authorId === row.authorId &&
      Date.parse(row.createdAt) - Date.parse(previous.createdAt) < GROUP_WINDOW_MS;
    return { ...row, showHeader: !continues };
  });
}

/**
 * The message Up-arrow in an empty composer edits: my latest one still waiting in the outbox,
 * or sent and still inside its edit window (`now` on this device's clock; the server decides).
 * A later message of mine that can no longer be edited ends the search.
 */
export function lastEditable(items: readonly ChatItem[], myId: string, now: number, windowMs: number): ChatItem | null {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (item.authorId !== myId || item.deletedAt) continue;
    if (item.status === 'queued') return item;
    if (item.status === 'sent' && item.id && now < Date.parse(item.createdAt) + windowMs) return item;
    if (item.status === 'sent') return null;
  }
  return null;
}
