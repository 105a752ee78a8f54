import { createContext, createElement, useCallback, useContext, useEffect, useMemo, useSyncExternalStore, type ReactNode } from 'react';
import type { ConnectionSnapshot } from './connection.ts';
import type { ParleyClient } from './create-client.ts';
import type { RoomView } from './message-store.ts';
import type { OutboxEntry } from './outbox.ts';
import type { PresenceView, TypingUser } from './presence-store.ts';
import type { ParleyEvent } from '@parley/api';

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

/** A room's messages (server order, then pending), loading its latest page when needed. */
export function useRoomMessages(partitionId: string, roomId: string): RoomView & { loadOlder: () => Promise<void>; reload: () => Promise<void> } {
  const { messages } = useParleyClient();
  useEffect(() => messages.watch(partitionId), [messages, partitionId]);
  useEffect(() => {
    void messages.loadRoom(partitionId, roomId);
  }, [messages, partitionId, roomId]);
  const getSnapshot = useCallback(() => messages.getRoom(partitionId, roomId), [messages, partitionId, roomId]);
  const view = useSyncExternalStore(messages.subscribe, getSnapshot, getSnapshot);
  const loadOlder = useCallback(() => messages.loadOlder(partitionId, roomId), [messages, partitionId, roomId]);
  const reload = useCallback(() => messages.loadRoom(partitionId, roomId, { force: true }), [messages, partitionId, roomId]);
  return useMemo(() => ({ ...view, loadOlder, reload }), [view, loadOlder, reload]);
}

/** Sends into a room through the outbox; throws `OutboxError` for an empty or too long body. */
export function useSend(partitionId: string, roomId: string, author?: { id: string; name: string } | null) {
  const { outbox } = useParleyClient();
  const authorId = author?.id;
  const authorName = author?.name;
  return useCallback(
    (body: string) =>
      outbox.send({ partitionId, roomId, body, author: authorId && authorName ? { id: authorId, name: authorName } : null }),
    [outbox, partitionId, roomId, authorId, authorName],
  );
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
    const entries = partitionId ? all.filter((e) => e.partitionId === partitionId) : all;
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
  signal(): void;
  /** Call when the message is sent: the next keystroke signals at once. */
  stop(): void;
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
