import type { ChatMessage } from '@parley/client';

/** One row of the message list. */
export interface ChatItem {
  key: string;
  authorId: string;
  authorName: string;
  body: string;
  createdAt: string;
  /** `queued`: waiting in the outbox (offline); `sending`: on its way; `sent`: the server has it. */
  status: 'sent' | 'sending' | 'queued' | 'failed';
  error: string | null;
  clientId: string;
  /** False when it continues the previous row's author within a few minutes. */
  showHeader: boolean;
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
 * consecutive rows of one author share a header.
 */
export function toChatItems(messages: readonly ChatMessage[], me: { id: string; displayName: string }): ChatItem[] {
  const rows = messages.map((m) => ({
    key: m.key,
    authorId: m.authorId ?? me.id,
    authorName: m.authorName ?? me.displayName,
    body: m.body,
    createdAt: m.createdAt,
    status: statusOf(m),
    error: m.error,
    clientId: m.clientId,
  }));
  return rows.map((row, i) => {
    const previous = rows[i - 1];
    const continues =
      previous !== undefined &&
      previous.authorId === row.authorId &&
      Date.parse(row.createdAt) - Date.parse(previous.createdAt) < GROUP_WINDOW_MS;
    return { ...row, showHeader: !continues };
  });
}
