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
 * client.actions.edit('acme', messageId, 'fixed typo'); // and delete, react, unreact, pin, unpin
 * client.outbox.send({ partitionId: 'acme', roomId, body: 'agreed', replyTo: messageId });
 * ```
 */
export { createParleyClient, MAX_BATCH_CALLS, type ParleyClient, type ParleyClientOptions, type ParleyUser } from './create-client.ts';
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
export {
  MessageStore,
  CONFIRMED_OP_TTL_MS,
  type BlockedSource,
  type ChatAttachment,
  type ChatMessage,
  type ChatReaction,
  type MessageStatus,
  type RoomView,
} from './message-store.ts';
export {
  Outbox,
  OutboxError,
  checkBody,
  checkOp,
  MESSAGE_MAX_CHARS,
  type ActOptions,
  type OpEntry,
  type OutboxEntry,
  type OutboxStatus,
  type SendEntry,
  type SendOptions,
} from './outbox.ts';
export {
  PresenceStore,
  TYPING_SIGNAL_INTERVAL_MS,
  type MemberPresence,
  type PresenceStoreOptions,
  type PresenceView,
  type TypingUser,
} from './presence-store.ts';
export { memoryStorage, indexedDbStorage, type ClientStorage } from './storage.ts';
export { UploadStore, isPreviewableImage, type OutboxUploads, type PendingAttachment, type UploadProgress, type UploadStoreOptions } from './upload-store.ts';
export {
  UploadError,
  fetchTransport,
  mediaPath,
  uploadMedia,
  xhrTransport,
  type AttachmentDto,
  type UploadMediaOptions,
  type UploadRequest,
  type UploadResponse,
  type UploadTransport,
} from './uploads.ts';
export { NotesStore, type NoteEditorTuning, type NoteEventSource, type NoteItem, type NotesStoreOptions, type NotesView } from './notes-store.ts';
export {
  NoteEditor,
  browserPageLifecycle,
  type Connectivity,
  type NoteConflict,
  type NoteEditorOptions,
  type NoteEditorState,
  type NoteEditorStatus,
  type NoteText,
  type PageLifecycle,
} from './note-editor.ts';
export { NoteDrafts, type NoteDraft } from './note-drafts.ts';
export { MIN_RENEW_DELAY_MS, TYPING_RENEW_MS, networkRetryDelayMs, renewDelayMs } from './note-lock-schedule.ts';
export { lockHolderOf, trpcNotesApi, type NoteRenewal, type NoteUnlockResult, type NotesApi } from './notes-api.ts';
export {
  errorCode,
  retryAfterMs,
  trpcApi,
  trpcPresenceApi,
  type ActInput,
  type ListInput,
  type MessagePage,
  type ParleyApi,
  type PinsPage,
  type PresenceApi,
} from './api.ts';
export { messageActions, type MessageActions } from './actions.ts';
export { checkSearchQuery, trpcSearch, type SearchFilters, type SearchFunction, type SearchInput } from './search.ts';
export { BlocksStore, type BlocksSnapshot, type BlocksStoreOptions } from './blocks-store.ts';
export { NotifyStore, trpcNotifyApi, type NotifyApi, type NotifySnapshot, type NotifyStoreOptions } from './notify-store.ts';
export {
  decodeMentions,
  encodeMentions,
  insertMention,
  mentionQueryAt,
  suggestMentions,
  MENTION_QUERY_MAX_CHARS,
  type MentionCandidate,
  type MentionSuggestion,
  type PickedMention,
} from './mentions.ts';
export { ReadStore, trpcReadApi, type ReadApi, type ReadSnapshot, type ReadStoreOptions, type RoomReadState } from './read-store.ts';
export {
  AvatarUploadError,
  ProfilesStore,
  trpcProfilesApi,
  type Profile,
  type ProfileChange,
  type ProfileEventSource,
  type ProfilesApi,
  type ProfilesStoreOptions,
} from './profiles-store.ts';
export {
  EDIT_WINDOW_MS,
  REPLY_SNIPPET_CHARS,
  isReactionEmoji,
  isReadOp,
  replySnippet,
  type DeleteScope,
  type MessageOp,
  type OutboxOp,
  type OutboxOpType,
} from './ops.ts';
export type {
  AnnouncementDto,
  AppRouter,
  BlockedUserDto,
  DeleteResult,
  EditResult,
  MemberPresenceDto,
  MessageDto,
  NoteDto,
  NoteHistoryPage,
  NoteLockGrant,
  NoteLockInfo,
  NoteSavedData,
  NoteSummaryDto,
  NoteUnlockReason,
  NoteVersionDto,
  ParleyEvent,
  ParleyEventType,
  PartitionDto,
  PinResult,
  PresenceSignalDto,
  PresenceStatus,
  PublicUser,
  ReactionChange,
  ReactionDto,
  ReadReceiptsDto,
  ReaderDto,
  ReadStateDto,
  ReadUpdatedData,
  ReplyRef,
  RoomNotifyDto,
  RoomDto,
  RoomKind,
  RoomListItem,
  RoomMemberDto,
  RoomRole,
  SearchHitDto,
  SearchPage,
  SearchSnippet,
  TypingDto,
} from '@parley/api';
export { markdownToText, parseMarkdown, type MdBlock, type MdInline } from './markdown.ts';
/** Mentions (`<@userId>`, `@room`) and notification levels: `@parley/rules` (see `mentions.ts` there). */
export {
  MENTION_ROOM,
  MENTIONS_PER_MESSAGE,
  NOTIFY_LEVELS,
  ROOM_MENTION_MAX_MEMBERS,
  defaultNotifyLevel,
  mayMentionRoom,
  mentionToken,
  mentionsUser,
  parseMentions,
  shouldNotify,
  type NotifyLevel,
} from '@parley/rules';
/**
 * The rules that cross the wire (`@parley/rules`, each with its `@example` there): the server
 * enforces them; a program checks early with the same limits and words. An app built on this
 * client imports them from here.
 */
export {
  ASSIGNABLE_ROLES,
  DEFAULT_ROOM_NAME,
  DISPLAY_NAME_MAX_CHARS,
  DM_MAX_MEMBERS,
  EMOJIS_PER_MESSAGE,
  MEDIA_FILENAME_MAX_CHARS,
  MEDIA_MAX_BYTES_DEFAULT,
  formatBytes,
  mediaSizeRefusal,
  NOTE_BODY_MAX_CHARS,
  NOTE_LOCK_MS,
  NOTE_LOCK_RENEW_MS,
  NOTE_LOCK_SWEEP_MS,
  NOTE_TITLE_MAX_CHARS,
  PASSWORD_MAX_CHARS,
  PASSWORD_MIN_CHARS,
  PINS_PER_ROOM,
  REFUSAL,
  ROLE_NEEDED,
  ROLES,
  ROOM_NAME_MAX_CHARS,
  ROOM_TOPIC_MAX_CHARS,
  USERNAME_MAX_CHARS,
  USERNAME_MIN_CHARS,
  WORKSPACE_NAME_MAX_CHARS,
  assignableRoles,
  canManageMember,
  canManageRoom,
  canWrite,
  editWindowClosed,
  hasRole,
  isDefaultRoom,
  isWorkspaceModerator,
  memberManagementRefusal,
  noteLockedBy,
  noteLockLost,
  AVATAR_SIZE_PX,
  PROFILE_REFUSAL,
  STATUS_MAX_CHARS,
  profileFieldRefusal,
  roleRank,
  roomExists,
  SEARCH_PAGE_MAX,
  SEARCH_QUERY_MAX_CHARS,
  READ_MARK_COALESCE_MS,
  READ_PAST_END,
  RECEIPTS_MAX_MEMBERS,
  UNREAD_COUNT_MAX,
  SEARCH_SNIPPET_CHARS,
  searchSnippet,
  searchTerms,
  type AssignableRole,
  type Role,
} from '@parley/rules';
