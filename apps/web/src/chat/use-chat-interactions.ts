import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { EDIT_WINDOW_MS, replySnippet } from '@parley/client';
import type { MessageActionsView, OutboxView } from '@parley/client/react';
import { lastEditable, type ChatItem } from './chat-items.ts';
import type { ReplyTarget } from './composer.tsx';
import type { RoomAbilities } from './message-permissions.ts';
import type { RowContext } from './message-row.tsx';

export const JUMP_NOT_FOUND = 'Could not find the original message';
/** A search hit's message is not there any more (deleted, or hidden for me) or not in this room. */
export const HIT_NOT_FOUND = 'That message is not here any more.';
/** How long a jump's "could not find" stays up (ms). */
const NOTICE_MS = 5000;

export interface ChatInteractionsOptions {
  items: readonly ChatItem[];
  room: RoomAbilities;
  nameOf: (userId: string) => string;
  actions: MessageActionsView;
  outbox: Pick<OutboxView, 'edit' | 'retry' | 'cancel'>;
  /** Loads older history until the message is there (the client's `loadUntil`): true when it is. */
  loadUntil: (messageId: string) => Promise<boolean>;
}

/**
 * The chat pane's state around its messages: which one is edited in place (Up-arrow starts it
 * from the composer, which gets the focus back), which one is answered, which one waits for
 * "delete for everyone" to be confirmed, and jumps to a message (loading older history first).
 */
export function useChatInteractions({ items, room, nameOf, actions, outbox, loadUntil }: ChatInteractionsOptions) {
  const [editingKey, setEditingKey] = useState<string | null>(null);
  const [replyingTo, setReplyingTo] = useState<ReplyTarget | null>(null);
  const [confirming, setConfirming] = useState<ChatItem | null>(null);
  const [jumpTarget, setJumpTarget] = useState<{ messageId: string; seq: number } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const composerRef = useRef<HTMLTextAreaElement>(null);
  const editFromComposer = useRef(false);
  const jumps = useRef(0);
  const latest = useRef({ items, loadUntil });
  latest.current = { items, loadUntil };

  useEffect(() => {
    if (notice === null) return;
    const timer = setTimeout(() => setNotice(null), NOTICE_MS);
    return () => clearTimeout(timer);
  }, [notice]);

  const endEdit = useCallback((key: string | null) => {
    setEditingKey(null);
    if (editFromComposer.current) composerRef.current?.focus();
    else if (key) document.querySelector<HTMLElement>(`li[data-row-key="${key}"]`)?.focus({ preventScroll: true });
    editFromComposer.current = false;
  }, []);

  /**
   * Loads the history until the message is there (by default `loadUntil`; a search hit passes the
   * client's `showAround`), then brings it into view and highlights it, or says `notFound`.
   */
  const jumpTo = useCallback(async (messageId: string, how: { load?: (id: string) => Promise<boolean>; notFound?: string } = {}) => {
    setNotice(null);
    let found: boolean;
    try {
      found = await (how.load ?? latest.current.loadUntil)(messageId);
    } catch {
      found = false;
    }
    if (found) setJumpTarget({ messageId, seq: ++jumps.current });
    else setNotice(how.notFound ?? JUMP_NOT_FOUND);
  }, []);

  const rowContext = useMemo<RowContext>(
    () => ({
      room,
      nameOf,
      actions,
      editingKey,
      onStartEdit: (key) => {
        editFromComposer.current = false;
        setEditingKey(key);
      },
      onEndEdit: () => endEdit(editingKey),
      onSaveEdit: (item, body) => {
        if (item.status === 'queued') outbox.edit(item.clientId, body);
        else if (item.id && body.trim() !== item.body) actions.edit(item.id, body);
        endEdit(item.key);
      },
      onReply: (item) => {
        if (!item.id) return;
        setReplyingTo({ id: item.id, authorName: item.authorName, snippet: replySnippet(item.body) });
        composerRef.current?.focus();
      },
      onJumpTo: (messageId) => void jumpTo(messageId),
      onDeleteForEveryone: setConfirming,
      onRetry: outbox.retry,
      onDiscard: outbox.cancel,
    }),
    [room, nameOf, actions, editingKey, outbox, endEdit, jumpTo],
  );

  return {
    rowContext,
    composerRef,
    replyingTo,
    cancelReply: useCallback(() => setReplyingTo(null), []),
    /** Up-arrow in the empty composer: my last message still editable, edited in place. */
    editLast: useCallback(() => {
      const target = lastEditable(latest.current.items, room.myId, Date.now(), EDIT_WINDOW_MS);
      if (!target) return false;
      editFromComposer.current = true;
      setEditingKey(target.key);
      return true;
    }, [room.myId]),
    confirming,
    cancelConfirm: useCallback(() => setConfirming(null), []),
    jumpTarget,
    jumpTo,
    jumpMissed: useCallback(() => setNotice(JUMP_NOT_FOUND), []),
    notice,
  };
}
