/**
 * @parley/client — the typed client for Parley servers, for browsers and Node programs:
 * tRPC links, the connection state machine, the optimistic message store and the durable
 * outbox. React bindings: `@parley/client/react`; a file-backed storage for Node:
 * `@parley/client/file-storage`.
 *
 * @example
 * ```ts
 * import WebSocket from 'ws';
 * import { EventSource } from 'eventsource'; // optional: the HTTP fallback where WebSockets are blocked
 * const client = createParleyClient({ url: 'http://localhost:3000', token, WebSocket, EventSource });
 * const rooms = await client.trpc.room.list.query({ partitionId: 'acme' });
 * client.messages.watch('acme');
 * client.outbox.send({ partitionId: 'acme', roomId: rooms[0]!.id, body: 'hello' });
 * client.presence.watch('acme'); // client.presence.getSnapshot('acme').members[userId]?.status
 * ```
 */
export { createParleyClient, type ParleyClient, type ParleyClientOptions } from './create-client.ts';
export {
  Connection,
  manualNetwork,
  platformNetworkStatus,
  type ConnectionSnapshot,
  type ConnectionState,
  type ManualNetwork,
  type NetworkStatus,
  type OpenReason,
  type Transport,
  type TransportKind,
} from './connection.ts';
export type { EventSourceConstructor } from './http-transport.ts';
export { WS_FAILURES_BEFORE_HTTP, WS_RETRY_INTERVAL_MS } from './transport-fallback.ts';
export { MAX_RECONNECT_ATTEMPTS, reconnectDelayMs } from './backoff.ts';
export { MessageStore, type ChatMessage, type MessageStatus, type RoomView } from './message-store.ts';
export { Outbox, OutboxError, checkBody, MESSAGE_MAX_CHARS, type OutboxEntry, type OutboxStatus, type SendOptions } from './outbox.ts';
export {
  PresenceStore,
  TYPING_SIGNAL_INTERVAL_MS,
  type MemberPresence,
  type PresenceStoreOptions,
  type PresenceView,
  type TypingUser,
} from './presence-store.ts';
export { memoryStorage, indexedDbStorage, type ClientStorage } from './storage.ts';
export { errorCode, retryAfterMs, trpcApi, trpcPresenceApi, type MessagePage, type ParleyApi, type PresenceApi } from './api.ts';
export type {
  AppRouter,
  MemberPresenceDto,
  MessageDto,
  ParleyEvent,
  PartitionDto,
  PresenceSignalDto,
  PresenceStatus,
  PublicUser,
  RoomDto,
  RoomListItem,
  TypingDto,
} from '@parley/api';
