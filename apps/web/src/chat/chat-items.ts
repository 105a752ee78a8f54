import type { MessageDto } from '@parley/client';
import type { PendingMessage } from './pending-messages.ts';

/** One row of the message list: a confirmed message or one still on its way. */
export interface ChatItem {
  key: string;
  authorId: string;
  authorName: string;
  body: string;
  createdAt: string;
  status: 'sent' | 'sending' | 'failed';
  error: string | null;
  clientId: string;
  /** False when it continues the previous row's author within a few minutes. */
  showHeader: boolean;
}

/** Rows by the same author closer than this share one header (as most chat apps group them). */
export const GROUP_WINDOW_MS = 5 * 60_000;

/**
 * Confirmed messages (in `eventId` order), then this room's pending ones (in the order typed).
 * A pending message whose `clientId` is already confirmed — the live event can arrive before
 * the send's own reply — is dropped, so it never shows twice.
 */
export function toChatItems(
  confirmed: readonly MessageDto[],
  pending: readonly PendingMessage[],
  me: { id: string; displayName: string },
): ChatItem[] {
  const confirmedClientIds = new Set(confirmed.map((m) => m.clientId));
  const rows: Omit<ChatItem, 'showHeader'>[] = confirmed.map((m) => ({
    key: m.id,
    authorId: m.authorId,
    authorName: m.authorName,
    body: m.body,
    createdAt: m.createdAt,
    status: 'sent',
    error: null,
    clientId: m.clientId,
  }));
  for (const p of pending) {
    if (confirmedClientIds.has(p.clientId)) continue;
    rows.push({
      // Keyed by clientId so the row survives its status changes without remounting.
      key: `pending:${p.clientId}`,
      authorId: me.id,
      authorName: me.displayName,
      body: p.body,
      createdAt: p.createdAt,
      status: p.status,
      error: p.error,
      clientId: p.clientId,
    });
  }
  return rows.map((row, i) => {
    const previous = rows[i - 1];
    const continues =
      previous !== undefined &&
      previous.authorId === row.authorId &&
      Date.parse(row.createdAt) - Date.parse(previous.createdAt) < GROUP_WINDOW_MS;
    return { ...row, showHeader: !continues };
  });
}
