import { createContext, createElement, useCallback, useContext, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { ConnectionSnapshot } from './connection.ts';
import type { ParleyClient } from './create-client.ts';
import type { BlocksSnapshot } from './blocks-store.ts';
import type { MessageActions } from './actions.ts';
import type { ChatMessage, RoomView } from './message-store.ts';
import { IDLE_NOTE_EDITOR, type NoteEditor, type NoteText } from './note-editor.ts';
import type { NoteEditorTuning, NoteItem, NotesView } from './notes-store.ts';
import { isReadOp, type DeleteScope } from './ops.ts';
import type { OpEntry, OutboxEntry } from './outbox.ts';
import type { PresenceView, TypingUser } from './presence-store.ts';
import type { SearchFilters } from './search.ts';
import { useSearchWith, type SearchView } from './use-search.ts';
import { useReadStateWith, useReceiptsSettingWith, useReceiptsWith } from './use-read.ts';
import type { ReadSnapshot } from './read-store.ts';
import { useProfilesWith, useProfileWith } from './use-profiles.ts';
import { useUploadWith, type UploadView } from './use-uploads.ts';
import type { Profile } from './profiles-store.ts';
import type { ParleyEvent } from '@parley/api';

export { SEARCH_DEBOUNCE_MS, type SearchView } from './use-search.ts';
export type { UploadView } from './use-uploads.ts';

const ParleyContext = createContext<ParleyClient | null>(null);

/**
 * Makes a Parley client available to the hooks below. Queries and mutations other than
 * sending go through `@trpc/react-query` built on `client.links`.
 *
 * @example
 * ```tsx
 * <ParleyProvider client={client}><Room partitionId="acme" roomId={id} /></ParleyProvider>
 * ```
 */
export function ParleyProvider(props: { client: ParleyClient; children?: ReactNode }) {
  return createElement(ParleyContext.Provider, { value: props.client }, props.children);
}

export function useParleyClient(): ParleyClient {
  const client = useContext(ParleyContext);
  if (!client) throw new Error('useParleyClient needs a <ParleyProvider client={…}> above it.');
  return client;
}

/** The connection's state, attempt and next retry time, with `retry()` for a "Retry now" button. */
export function useConnection(): ConnectionSnapshot & { retry: () => void } {
  const { connection } = useParleyClient();
  const snapshot = useSyncExternalStore(connection.subscribe, connection.getSnapshot, connection.getSnapshot);
  const retry = useCallback(() => connection.retry(), [connection]);
  return useMemo(() => ({ ...snapshot, retry }), [snapshot, retry]);
}

/** Keeps a partition's event stream open while mounted; `onEvent` sees every event. */
export function usePartitionStream(partitionId: string, onEvent?: (event: ParleyEvent) => void): void {
  const { messages } = useParleyClient();
  useEffect(() => messages.watch(partitionId), [messages, partitionId]);
  useEffect(() => (onEvent ? messages.onEvent((e) => e.partitionId === partitionId && onEvent(e)) : undefined), [messages, partitionId, onEvent]);
}

/** What `useRoomMessages` adds to the room's view. */
export interface RoomMessagesActions {
  loadOlder: () => Promise<void>;
  reload: () => Promise<void>;
  /** Loads older pages until the message is there (a reply's quote): true when it is. */
  jumpTo: (messageId: string) => Promise<boolean>;
  /** Shows the history around the message however far back (a search hit; `view.detached` when it is): true when it is shown. */
  showAround: (messageId: string) => Promise<boolean>;
  /** While `detached`: the next newer page. */
  loadNewer: () => Promise<void>;
  /** While `detached`: back to the latest messages. */
  showLatest: () => void;
}

/**
 * A room's messages (server order, then pending; this user's pending edits, deletions,
 * reactions and pins applied), loading its latest page when needed. `jumpTo(messageId)` loads
 * older pages until the message is there (a reply's quote): true when it is. `showAround`
 * opens the history at a message far back (a search hit): the view is `detached` from the
 * latest messages until `loadNewer` gets back to them or `showLatest()`.
 */
export function useRoomMessages(partitionId: string, roomId: string): RoomView & RoomMessagesActions {
  const { messages } = useParleyClient();
  useEffect(() => messages.watch(partitionId), [messages, partitionId]);
  useEffect(() => {
    void messages.loadRoom(partitionId, roomId);
  }, [messages, partitionId, roomId]);
  const getSnapshot = useCallback(() => messages.getRoom(partitionId, roomId), [messages, partitionId, roomId]);
  const view = useSyncExternalStore(messages.subscribe, getSnapshot, getSnapshot);
  const loadOlder = useCallback(() => messages.loadOlder(partitionId, roomId), [messages, partitionId, roomId]);
  const reload = useCallback(() => messages.loadRoom(partitionId, roomId, { force: true }), [messages, partitionId, roomId]);
  const jumpTo = useCallback((messageId: string) => messages.loadUntil(partitionId, roomId, messageId), [messages, partitionId, roomId]);
  const showAround = useCallback((messageId: string) => messages.loadAround(partitionId, roomId, messageId), [messages, partitionId, roomId]);
  const loadNewer = useCallback(() => messages.loadNewer(partitionId, roomId), [messages, partitionId, roomId]);
  const showLatest = useCallback(() => messages.showLatest(partitionId, roomId), [messages, partitionId, roomId]);
  return useMemo(
    () => ({ ...view, loadOlder, reload, jumpTo, showAround, loadNewer, showLatest }),
    [view, loadOlder, reload, jumpTo, showAround, loadNewer, showLatest],
  );
}

/**
 * Searches the workspace's messages as the user types (`client.search`, see `SearchView`):
 * sent once typing pauses, older answers dropped, `loadMore()` for the next page.
 * @example
 * ```tsx
 * const search = useSearch(partitionId, text, { roomId, authorId, after, before });
 * {search.status === 'error' && <p role="alert">{search.error}</p>}
 * {search.hits.map((hit) => <SearchHit key={hit.messageId} hit={hit} />)}
 * ```
 */
export function useSearch(partitionId: string, query: string, filters?: SearchFilters, options?: { debounceMs?: number; limit?: number }): SearchView {
  return useSearchWith(useParleyClient(), partitionId, query, filters, options);
}

/**
 * The workspace's unread and mention counts per room and direct message (`client.read`), loaded
 * on first use and live after (the same on every device of the user).
 * @example
 * ```tsx
 * const { rooms } = useReadState(partitionId);
 * {rooms[room.id]?.unread ? <span className="badge">{rooms[room.id]!.unread}</span> : null}
 * ```
 */
export function useReadState(partitionId: string): ReadSnapshot {
  return useReadStateWith(useParleyClient(), partitionId);
}

/** Who has read how far in a room (direct messages and rooms of up to 20). @example `useReceipts(pid, roomId)?.readers` */
export function useReceipts(partitionId: string, roomId: string) {
  return useReceiptsWith(useParleyClient(), partitionId, roomId);
}

/** `[enabled, setEnabled]`: whether this user shares read receipts (and sees others'). @example `const [on, setOn] = useReceiptsSetting();` */
export function useReceiptsSetting() {
  return useReceiptsSettingWith(useParleyClient());
}

/**
 * Everyone's profile by user id (display name, status, avatar), loading the workspace's while
 * mounted and live with `profile.updated` (`client.profiles`).
 * @example
 * ```tsx
 * const profiles = useProfiles(partitionId);
 * <span>{profiles[message.authorId]?.displayName ?? message.authorName}</span>
 * ```
 */
export function useProfiles(partitionId: string | null): Readonly<Record<string, Profile>> {
  return useProfilesWith(useParleyClient(), partitionId);
}

/** One person's profile as known now (undefined until loaded). @example `const author = useProfile(message.authorId);` */
export function useProfile(userId: string): Profile | undefined {
  return useProfileWith(useParleyClient(), userId);
}

/**
 * Sends into a room through the outbox; throws `OutboxError` for an empty or too long body, or a
 * file over the limit. With `attachment`, the file is kept with the message (IndexedDB) and
 * uploaded first; the body may then be empty.
 * @example
 * ```tsx
 * const send = useSend(partitionId, roomId, me);
 * send(text, { replyTo: replyingTo?.id });
 * send('', { attachment: { file } });
 * ```
 */
export function useSend(partitionId: string, roomId: string, author?: { id: string; name: string } | null) {
  const { outbox } = useParleyClient();
  const authorId = author?.id;
  const authorName = author?.name;
  return useCallback(
    (body: string, options: { replyTo?: string | null | undefined; attachment?: { file: Blob; filename?: string } | null | undefined } = {}) =>
      outbox.send({
        partitionId,
        roomId,
        body,
        author: authorId && authorName ? { id: authorId, name: authorName } : null,
        replyTo: options.replyTo ?? null,
        attachment: options.attachment ?? null,
      }),
    [outbox, partitionId, roomId, authorId, authorName],
  );
}

/** `client.actions` bound to one workspace, plus the outbox's `retry`/`cancel` for a failed op (`message.opErrorId`). */
export interface MessageActionsView {
  edit(messageId: string, body: string): OpEntry;
  delete(messageId: string, scope: DeleteScope): OpEntry;
  react(messageId: string, emoji: string): OpEntry;
  unreact(messageId: string, emoji: string): OpEntry;
  /** React if this user has not, take it back if they have (a reaction chip's click). */
  toggleReaction(message: Pick<ChatMessage, 'id' | 'reactions'>, emoji: string): OpEntry | null;
  pin(messageId: string): OpEntry;
  unpin(messageId: string): OpEntry;
  dismissAnnouncement(announcementId: string): OpEntry;
  /** Tries a failed op again (same opId). */
  retry(entryId: string): void;
  /** Dismisses a failed op: the server's copy shows without the error. */
  dismissError(entryId: string): void;
}

/**
 * Edits, deletions, reactions, pins and dismissals in one workspace, through the outbox: shown
 * at once, sent in order, applied once; a refusal shows on the message (`opError`).
 * @example
 * ```tsx
 * const actions = useMessageActions(partitionId);
 * <button onClick={() => actions.toggleReaction(message, '👍')}>👍</button>
 * {message.opError && <span>{message.opError} <button onClick={() => actions.dismissError(message.opErrorId!)}>OK</button></span>}
 * ```
 */
export function useMessageActions(partitionId: string): MessageActionsView {
  const { actions, outbox } = useParleyClient();
  return useMemo(() => bindActions(actions, partitionId, outbox), [actions, partitionId, outbox]);
}

function bindActions(actions: MessageActions, partitionId: string, outbox: ParleyClient['outbox']): MessageActionsView {
  return {
    edit: (messageId, body) => actions.edit(partitionId, messageId, body),
    delete: (messageId, scope) => actions.delete(partitionId, messageId, scope),
    react: (messageId, emoji) => actions.react(partitionId, messageId, emoji),
    unreact: (messageId, emoji) => actions.unreact(partitionId, messageId, emoji),
    toggleReaction: (message, emoji) => {
      if (!message.id) return null;
      const mine = message.reactions.some((r) => r.emoji === emoji && r.mine);
      return mine ? actions.unreact(partitionId, message.id, emoji) : actions.react(partitionId, message.id, emoji);
    },
    pin: (messageId) => actions.pin(partitionId, messageId),
    unpin: (messageId) => actions.unpin(partitionId, messageId),
    dismissAnnouncement: (announcementId) => actions.dismissAnnouncement(partitionId, announcementId),
    retry: (entryId) => outbox.retry(entryId),
    dismissError: (entryId) => outbox.cancel(entryId),
  };
}

export interface BlocksView extends BlocksSnapshot {
  block(userId: string): OpEntry;
  unblock(userId: string): OpEntry;
}

/**
 * Whom this user blocked (read once when first used), with `block`/`unblock` through the outbox.
 * Messages of blocked people come with `authorBlocked: true` in the room views.
 * @example
 * ```tsx
 * const blocks = useBlocks();
 * blocks.ids.has(userId) ? <button onClick={() => blocks.unblock(userId)}>Unblock</button> : <button onClick={() => blocks.block(userId)}>Block</button>
 * ```
 */
export function useBlocks(): BlocksView {
  const { blocks } = useParleyClient();
  useEffect(() => {
    if (!blocks.loaded) void blocks.load();
  }, [blocks]);
  const view = useSyncExternalStore(blocks.subscribe, blocks.getView, blocks.getView);
  return useMemo(() => ({ ...view, block: (userId: string) => blocks.block(userId), unblock: (userId: string) => blocks.unblock(userId) }), [blocks, view]);
}

/**
 * A room's pinned messages, most recently pinned first (fetched when mounted, then kept up to
 * date by the stream; pending pins and unpins applied).
 * @example
 * ```tsx
 * const { messages } = usePins(partitionId, roomId);
 * ```
 */
export function usePins(partitionId: string, roomId: string): { messages: readonly ChatMessage[]; reload: () => Promise<void> } {
  const { messages } = useParleyClient();
  useEffect(() => messages.watch(partitionId), [messages, partitionId]);
  useEffect(() => {
    void messages.loadPins(partitionId, roomId).catch(() => undefined);
  }, [messages, partitionId, roomId]);
  const getSnapshot = useCallback(() => messages.getPins(partitionId, roomId), [messages, partitionId, roomId]);
  const pins = useSyncExternalStore(messages.subscribe, getSnapshot, getSnapshot);
  const reload = useCallback(() => messages.loadPins(partitionId, roomId), [messages, partitionId, roomId]);
  return useMemo(() => ({ messages: pins, reload }), [pins, reload]);
}

export interface OutboxView {
  /** Everything waiting or failed (optionally of one partition), oldest first. */
  entries: readonly OutboxEntry[];
  /** Messages not yet handed to the server. */
  queued: number;
  failed: number;
  /** When the oldest waiting message was written (ISO), for "waiting since …". */
  oldestQueuedAt: string | null;
  /** Sending too fast: the server said to wait until then (ISO); null when not rate limited. */
  retryAt: string | null;
  retry(clientId: string): void;
  cancel(clientId: string): void;
  edit(clientId: string, body: string): void;
}

export function useOutbox(partitionId?: string): OutboxView {
  const { outbox } = useParleyClient();
  const all = useSyncExternalStore(outbox.subscribe, outbox.getSnapshot, outbox.getSnapshot);
  return useMemo(() => {
    // Read marks are bookkeeping: "waiting to be sent" is about what the person wrote or changed.
    const entries = all.filter((e) => (partitionId === undefined || e.partitionId === partitionId) && (e.kind !== 'op' || !isReadOp(e.op)));
    const waiting = entries.filter((e) => e.status !== 'failed');
    return {
      entries,
      queued: waiting.length,
      failed: entries.length - waiting.length,
      oldestQueuedAt: waiting[0]?.createdAt ?? null,
      retryAt: waiting.reduce<string | null>((at, e) => (e.retryAt && (!at || e.retryAt > at) ? e.retryAt : at), null),
      retry: (clientId) => outbox.retry(clientId),
      cancel: (clientId) => outbox.cancel(clientId),
      edit: (clientId, body) => outbox.edit(clientId, body),
    };
  }, [all, outbox, partitionId]);
}

/**
 * A partition's presence, live while mounted: `members[userId]` (`online`, `reconnecting`
 * until `offlineAt`, `offline` with `lastSeenAt`; missing: never seen) and who is typing where.
 * @example
 * ```tsx
 * const { members } = usePresence(partitionId);
 * const status = members[userId]?.status ?? 'offline';
 * ```
 */
export function usePresence(partitionId: string): PresenceView {
  const { presence } = useParleyClient();
  useEffect(() => presence.watch(partitionId), [presence, partitionId]);
  const getSnapshot = useCallback(() => presence.getSnapshot(partitionId), [presence, partitionId]);
  return useSyncExternalStore(presence.subscribe, getSnapshot, getSnapshot);
}

export interface TypingView {
  /** Who else is typing in the room, oldest first. */
  users: readonly TypingUser[];
  /** Call on every keystroke: signals "typing" at most every 2 s. */
  signal: () => void;
  /** Call when the message is sent: the next keystroke signals at once. */
  stop: () => void;
}

/**
 * Typing in one room: who else is, and this user's own signal (throttled).
 * @example
 * ```tsx
 * const typing = useTyping(partitionId, roomId);
 * <textarea onChange={(e) => { setText(e.target.value); typing.signal(); }} />
 * ```
 */
export function useTyping(partitionId: string, roomId: string): TypingView {
  const { presence } = useParleyClient();
  const { typing } = usePresence(partitionId);
  const users = useMemo(() => typing.filter((t) => t.roomId === roomId), [typing, roomId]);
  const signal = useCallback(() => presence.typing(partitionId, roomId), [presence, partitionId, roomId]);
  const stop = useCallback(() => presence.stopTyping(partitionId, roomId), [presence, partitionId, roomId]);
  return useMemo(() => ({ users, signal, stop }), [users, signal, stop]);
}

/** A workspace's notes, live (most recently changed first; from storage while offline), with `reload`. */
export function useNotes(partitionId: string): NotesView & { reload: () => Promise<void> } {
  const { notes } = useParleyClient();
  useEffect(() => notes.watch(partitionId), [notes, partitionId]);
  const getSnapshot = useCallback(() => notes.getSnapshot(partitionId), [notes, partitionId]);
  const view = useSyncExternalStore(notes.subscribe, getSnapshot, getSnapshot);
  const reload = useCallback(() => notes.load(partitionId), [notes, partitionId]);
  return useMemo(() => ({ ...view, reload }), [view, reload]);
}

/** One note with its text (read once, then live from the events); null until read, or once deleted. */
export function useNote(partitionId: string, noteId: string): { note: NoteItem | null; deleted: boolean; error: string | null } {
  const { notes } = useParleyClient();
  const [error, setError] = useState<string | null>(null);
  useEffect(() => notes.watch(partitionId), [notes, partitionId]);
  useEffect(() => {
    setError(null);
    notes.loadNote(partitionId, noteId).catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [notes, partitionId, noteId]);
  const getNote = useCallback(() => notes.getNote(partitionId, noteId), [notes, partitionId, noteId]);
  const note = useSyncExternalStore(notes.subscribe, getNote, getNote);
  const deleted = useSyncExternalStore(
    notes.subscribe,
    () => notes.isDeleted(partitionId, noteId),
    () => notes.isDeleted(partitionId, noteId),
  );
  return useMemo(() => ({ note: note?.body === null ? null : note, deleted, error }), [note, deleted, error]);
}

/**
 * The lock helper of one note while mounted (released on unmount and when the page is hidden):
 * its state (`status`, `lockedBy`, `expiresAt`, `draft`, `conflict`, …), its actions, and `ready`
 * (false on the first render, before the editor exists: its actions do nothing until then).
 * @example
 * ```tsx
 * const editor = useNoteEditor(partitionId, noteId);
 * <button onClick={editor.acquire} disabled={editor.status === 'locking'}>Edit</button>
 * <textarea onChange={(e) => editor.edit(title, e.target.value)} />
 * ```
 */
export function useNoteEditor(partitionId: string, noteId: string, tuning?: NoteEditorTuning) {
  const { notes } = useParleyClient();
  const [editor, setEditor] = useState<NoteEditor | null>(null);
  const tuningRef = useRef(tuning);
  useEffect(() => {
    const created = notes.editor(partitionId, noteId, tuningRef.current);
    setEditor(created);
    return () => created.dispose();
  }, [notes, partitionId, noteId]);
  const subscribe = useCallback((fn: () => void) => (editor ? editor.subscribe(fn) : () => {}), [editor]);
  const getSnapshot = useCallback(() => editor?.getSnapshot() ?? IDLE_NOTE_EDITOR, [editor]);
  const state = useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
  const actions = useMemo(
    () => ({
      acquire: () => editor?.acquire() ?? Promise.resolve(false),
      edit: (title: string, body: string) => editor?.edit(title, body),
      save: (text?: NoteText) => editor?.save(text) ?? Promise.resolve(false),
      release: () => editor?.release() ?? Promise.resolve(),
      cancel: () => editor?.cancel() ?? Promise.resolve(),
      resolve: (choice: 'mine' | 'theirs') => editor?.resolve(choice) ?? Promise.resolve(false),
      restore: (version: number) => editor?.restore(version) ?? Promise.resolve(false),
    }),
    [editor],
  );
  // `ready`: the editor exists (the first render has none yet; its actions do nothing until then).
  return useMemo(() => ({ ...state, ...actions, ready: editor !== null }), [state, actions, editor]);
}

/**
 * A waiting file's upload progress and local preview (a message still in the outbox:
 * `message.attachment.local`); `{ progress: null, previewUrl: null }` for `null`.
 * @example
 * ```tsx
 * const { progress, previewUrl } = useUpload(a.local ? a.id : null, a.mimeType);
 * {progress && <progress value={progress.loaded} max={progress.total} />}
 * ```
 */
export function useUpload(mediaId: string | null, mimeType: string): UploadView {
  return useUploadWith(useParleyClient(), mediaId, mimeType);
}
