import { createTRPCClient, httpBatchLink, splitLink, type TRPCClient, type TRPCLink } from '@trpc/client';
import type { AppRouter } from '@parley/api';
import { messageActions, type MessageActions } from './actions.ts';
import { trpcApi, trpcPresenceApi } from './api.ts';
import { BlocksStore } from './blocks-store.ts';
import { NotifyStore, trpcNotifyApi } from './notify-store.ts';
import { Connection, type NetworkStatus } from './connection.ts';
import { connectionLink, socketCallLink } from './connection-link.ts';
import { openHttpTransport, type EventSourceConstructor } from './http-transport.ts';
import { MessageStore } from './message-store.ts';
import { NoteDrafts } from './note-drafts.ts';
import type { Connectivity } from './note-editor.ts';
import { trpcNotesApi } from './notes-api.ts';
import { NotesStore } from './notes-store.ts';
import { Outbox } from './outbox.ts';
import { PresenceStore } from './presence-store.ts';
import { ReadStore, trpcReadApi } from './read-store.ts';
import { ProfilesStore, trpcProfilesApi } from './profiles-store.ts';
import { trpcSearch, type SearchFunction } from './search.ts';
import { memoryStorage, type ClientStorage } from './storage.ts';
import { UploadStore } from './upload-store.ts';
import { fetchTransport, xhrTransport, type UploadTransport } from './uploads.ts';
import type { CallChannel, SubscriptionTransport } from './subscription-transport.ts';
import { TransportFallback } from './transport-fallback.ts';
import { openWsTransport } from './ws-transport.ts';

export interface ParleyClientOptions {
  /** The server's base URL, e.g. `http://localhost:3000` (tRPC lives at `/trpc`). */
  url: string;
  /** A session token for programs (`auth.login({ session: 'token' })`); browsers use the cookie. */
  token?: string | (() => string | null | undefined) | null | undefined;
  /**
   * Where the outbox and the resume positions live. Default: memory (gone with the process).
   * Browsers: `indexedDbStorage(name)`; Node: `fileStorage(path)` from `@parley/client/file-storage`.
   */
  storage?: ClientStorage | undefined;
  /** A WebSocket implementation where there is no global one (Node 20: `import WebSocket from 'ws'`). */
  WebSocket?: typeof globalThis.WebSocket | undefined;
  /**
   * An EventSource implementation for the HTTP fallback (subscriptions as server-sent events
   * where WebSockets cannot be opened). Default: the global one (browsers). Node:
   * `import { EventSource } from 'eventsource'` (v3+: it takes a `fetch`, so the token goes in a
   * header). Without one there is no fallback.
   */
  EventSource?: EventSourceConstructor | undefined;
  /** A fetch implementation (defaults to the global one). */
  fetch?: typeof globalThis.fetch | undefined;
  /** The network signal (default: the browser's online/offline events; always online in Node). */
  network?: NetworkStatus | undefined;
  /** Tuning of the connection state machine (defaults: 10 attempts, ping after 20 s idle, 10 s to answer, 15 s to open). */
  connection?:
    | {
        maxAttempts?: number;
        keepAliveIntervalMs?: number;
        keepAliveTimeoutMs?: number;
        /** An attempt not open by then is given up and retried with backoff (default 15 s). */
        openTimeoutMs?: number;
        /** While on the HTTP fallback, how often a WebSocket is tried again (default 3 min). */
        webSocketRetryMs?: number;
      }
    | undefined;
  /** Errors of the storage (quota, private mode). Default: console.warn. */
  onStorageError?: ((error: unknown) => void) | undefined;
  /**
   * Who is signed in (`auth.me`): marks their own reactions (`mine`) and shows their reactions
   * and pins at once, before the server answers. Without it those wait for the server.
   */
  user?: ParleyUser | (() => ParleyUser | null | undefined) | null | undefined;
  /**
   * How files are uploaded. Default: XMLHttpRequest where there is one (browsers: progress
   * events), else `fetch` (Node).
   */
  uploadTransport?: UploadTransport | undefined;
  /** The server's upload limit in bytes (its `MEDIA_MAX_BYTES`), checked before uploading; default 25 MiB. */
  mediaMaxBytes?: number | undefined;
}

export interface ParleyUser {
  id: string;
  name: string;
}

export interface ParleyClient {
  /** The fully typed tRPC client: `client.trpc.message.send.mutate(…)`. */
  trpc: TRPCClient<AppRouter>;
  /** The same links, for another tRPC client (e.g. `@trpc/react-query`'s). */
  links: TRPCLink<AppRouter>[];
  /** The connection's state machine: `getSnapshot()` (`state`, `transport`, …), `subscribe()`, `retry()`. */
  connection: Connection<SubscriptionTransport>;
  /** The optimistic message store: rooms as the user should see them. */
  messages: MessageStore;
  /** The durable queue of sends and ops: `send()` (with an `attachment`), `edit()`, `cancel()`, `retry()`. */
  outbox: Outbox;
  /**
   * The files of waiting sends (kept in `storage`, uploaded before their message): `getProgress`,
   * `previewUrl`, `subscribe`; and where media are served: `url`, `thumbUrl`; `maxBytes`.
   */
  uploads: UploadStore;
  /** Edits, deletions, reactions, pins, dismissals: queued in the outbox, shown at once. */
  actions: MessageActions;
  /** Whom this user blocked: `load()`, `getSnapshot()`, `block()`, `unblock()`. */
  blocks: BlocksStore;
  /** How each room notifies this user (`all`, `mentions`, `mute`): `load()`, `getSnapshot()`, `levelOf()`, `set()` (through the outbox). */
  notify: NotifyStore;
  /** Who is online and typing: `watch(partitionId)`, `getSnapshot(partitionId)`, `typing(partitionId, roomId)`. */
  presence: PresenceStore;
  /**
   * Each workspace's notes, live (`watch`, `getSnapshot`, `getNote`, `loadNote`, `create`,
   * `history`, `delete`, `forceUnlock`), and `editor(partitionId, noteId)`: the note's lock helper.
   */
  notes: NotesStore;
  /** Unsaved note text, durable in `storage` (`list()` names the notes that have some). */
  noteDrafts: NoteDrafts;
  /**
   * Full-text search over the messages the user may see (`search.messages`): newest first, each
   * hit with a snippet and its highlights as ranges; `nextCursor` pages on. Needs the network.
   */
  search: SearchFunction;
  /**
   * Unread and mention counts per room (`load(partitionId)`, `getSnapshot(partitionId)`, live),
   * marks (`markRead`, `markAllRead`: through the outbox, coalesced per room) and read receipts
   * (`loadReceipts`, `getReceipts`, `setReceiptsEnabled`).
   */
  read: ReadStore;
  /**
   * Everyone's display name, status and avatar by user id (`watch(partitionId)`, `get(userId)`,
   * live with `profile.updated`), and your own: `update()`, `uploadAvatar(file)`, `avatarUrl(id)`.
   */
  profiles: ProfilesStore;
  /** Stops reconnecting, closes the WebSocket, flushes storage writes. */
  close(): Promise<void>;
  /** Closes, then deletes everything this client stored (outbox included): signing out. */
  forget(): Promise<void>;
}

/** Calls per batched HTTP request: the server refuses a bigger batch (apps/server HTTP_MAX_BATCH). */
export const MAX_BATCH_CALLS = 20;

function wsUrlFrom(base: string): string {
  const u = new URL('/trpc', base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}

/**
 * A Parley client: typed tRPC over two links (subscriptions on a WebSocket that the connection
 * state machine keeps open and resumes, everything else on batched HTTP, except `message.send`,
 * which takes the open socket when the client holds a token), with the optimistic
 * message store and the durable outbox on top. The WebSocket opens with the first
 * subscription (or `messages.watch()`). Where WebSockets cannot be opened but HTTP works, the
 * subscriptions run as server-sent events instead (`connection.getSnapshot().transport ===
 * 'http'`) until a WebSocket opens again (`transport-fallback.ts`).
 *
 * @example
 * ```ts
 * import WebSocket from 'ws';
 * const client = createParleyClient({ url: 'http://localhost:3000', token, WebSocket });
 * const stop = client.messages.watch('acme');
 * client.outbox.send({ partitionId: 'acme', roomId, body: 'hello' });
 * client.actions.react('acme', messageId, '👍');
 * ```
 */
export function createParleyClient(options: ParleyClientOptions): ParleyClient {
  const token = () => (typeof options.token === 'function' ? options.token() : options.token) ?? null;
  const onStorageError = options.onStorageError ?? ((error: unknown) => console.warn('Parley client storage failed', error));
  const EventSourceImpl = options.EventSource ?? (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
  const { webSocketRetryMs, ...tuning } = options.connection ?? {};
  const transports = new TransportFallback({
    openWebSocket: () =>
      openWsTransport({
        url: wsUrlFrom(options.url),
        WebSocket: options.WebSocket,
        connectionParams: (): Record<string, string> => {
          const t = token();
          return t ? { token: t } : {};
        },
      }),
    openHttp: EventSourceImpl
      ? () =>
          openHttpTransport({
            url: new URL('/trpc', options.url).toString(),
            probeUrl: new URL('/live', options.url).toString(),
            EventSource: EventSourceImpl,
            fetch: options.fetch,
            token,
          })
      : null,
    webSocketRetryMs,
  });
  const connection = new Connection<SubscriptionTransport>({
    openTransport: transports.open,
    network: options.network,
    ...tuning,
  });
  /**
   * The socket a send may take: the connected WebSocket, when it authenticated with the token
   * this client holds now. Browsers (cookie sessions) always send over HTTP: only an HTTP answer
   * can renew the HttpOnly cookie, and a send is what keeps an active session alive.
   */
  const sendSocket = (): CallChannel | null => {
    const calls = connection.transport?.calls;
    const current = token();
    return calls && current !== null && calls.token === current ? calls : null;
  };
  const links: TRPCLink<AppRouter>[] = [
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: connectionLink<AppRouter>(connection),
      false: splitLink({
        // A send over the open socket saves tRPC's HTTP request handling on the server (about
        // 0.9 ms of CPU per call, docs/benchmarks.md). A socket that ends before the answer fails
        // the call without a code, and the outbox sends it again with the same clientId.
        condition: (op) => op.type === 'mutation' && op.path === 'message.send' && sendSocket() !== null,
        true: socketCallLink<AppRouter>(sendSocket),
        false: httpBatchLink({
          // The server takes at most 20 calls per batched request (HTTP_MAX_BATCH).
          maxItems: MAX_BATCH_CALLS,
          url: new URL('/trpc', options.url).toString(),
          fetch: options.fetch,
          headers: () => {
            const t = token();
            return t ? { authorization: `Bearer ${t}` } : {};
          },
        }),
      }),
    }),
  ];
  const trpc = createTRPCClient<AppRouter>({ links });
  const api = trpcApi(trpc);
  const storage = options.storage ?? memoryStorage();
  const me = () => (typeof options.user === 'function' ? options.user() : options.user)?.id ?? null;
  const hasXhr = typeof (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest !== 'undefined';
  const objectUrls =
    typeof URL.createObjectURL === 'function' ? { create: (blob: Blob) => URL.createObjectURL(blob), revoke: (url: string) => URL.revokeObjectURL(url) } : null;
  const uploads = new UploadStore({
    baseUrl: options.url,
    transport: options.uploadTransport ?? (hasXhr ? xhrTransport() : fetchTransport(options.fetch ?? globalThis.fetch)),
    storage,
    token,
    maxBytes: options.mediaMaxBytes,
    onStorageError,
    objectUrls,
  });
  // The outbox answers into the stores made after it.
  let messages: MessageStore | undefined;
  let blocksStore: BlocksStore | undefined;
  let notifyStore: NotifyStore | undefined;
  const outbox = new Outbox({
    api,
    storage,
    canSend: () => connection.getSnapshot().online,
    onSent: (message) => messages?.addMessage(message),
    onOpDone: (entry, result) => {
      messages?.opApplied(entry);
      blocksStore?.opApplied(entry, result);
      notifyStore?.opApplied(entry, result);
    },
    onStorageError,
    uploads,
  });
  const blocks = new BlocksStore({ api, outbox });
  blocksStore = blocks;
  messages = new MessageStore({ api, storage, outbox, blocks, me, onStorageError });
  const actions = messageActions({ outbox, messages, me });
  const notify = new NotifyStore({ api: trpcNotifyApi(trpc), outbox, events: { onEvent: (listener) => messages.onEvent(listener) } });
  notifyStore = notify;
  const presence = new PresenceStore({ api: trpcPresenceApi(trpc), connection, canSend: () => connection.getSnapshot().online });
  const read = new ReadStore({ api: trpcReadApi(trpc), outbox, events: { onEvent: (listener) => messages.onEvent(listener) }, me });

  const noteDrafts = new NoteDrafts(storage);
  const connectivity: Connectivity = {
    isOnline: () => connection.getSnapshot().online,
    onOnline(listener) {
      let last = connection.getSnapshot();
      return connection.subscribe(() => {
        const now = connection.getSnapshot();
        if ((now.online && !last.online) || (now.state === 'CONNECTED' && last.state !== 'CONNECTED')) listener();
        last = now;
      });
    },
  };
  const profiles = new ProfilesStore({
    api: trpcProfilesApi(trpc, { url: options.url, token, fetch: options.fetch }),
    events: { watch: (partitionId) => messages.watch(partitionId), onEvent: (listener) => messages.onEvent(listener) },
  });
  const notes = new NotesStore({
    api: trpcNotesApi(trpc),
    events: { watch: (partitionId) => messages.watch(partitionId), onEvent: (listener) => messages.onEvent(listener) },
    storage,
    onStorageError,
    drafts: noteDrafts,
    connectivity,
  });

  // Whoever sent a message is no longer typing in that room.
  const offMessages = messages.onEvent((event) => {
    if (event.type === 'message.created') presence.messageFrom(event.partitionId, event.data.roomId, event.data.authorId);
  });

  // Whenever a socket opens (the server is reachable again), send what waited.
  let wasConnected = false;
  const offConnection = connection.subscribe(() => {
    const connected = connection.getSnapshot().state === 'CONNECTED';
    if (connected && !wasConnected) void outbox.flush();
    wasConnected = connected;
  });

  const close = async () => {
    offConnection();
    offMessages();
    // First: its last marks go into the outbox while that still stores them.
    read.close();
    outbox.close();
    uploads.close();
    messages.close();
    blocks.close();
    notify.close();
    presence.close();
    notes.close();
    profiles.close();
    connection.close();
    await Promise.all([outbox.saved(), uploads.saved(), messages.persist(), notes.persist(), noteDrafts.saved()]);
  };
  return {
    trpc,
    links,
    connection,
    messages,
    outbox,
    uploads,
    actions,
    blocks,
    notify,
    presence,
    notes,
    noteDrafts,
    search: trpcSearch(trpc),
    read,
    profiles,
    close,
    async forget() {
      await close();
      await storage.clear();
    },
  };
}
