/**
 * @parley/api — the tRPC router and the domain services behind it. Infrastructure comes in
 * through {@link createContext}; nothing here reads the environment or opens a port.
 *
 * @example
 * ```ts
 * const bus = createMemoryBus();
 * const deps = createApiDeps({ db, dbDriver: 'pg', bus, limiter: createMemoryRateLimiter(), presence: createMemoryPresence({ bus }), log });
 * const caller = createCaller(createContext(deps, anonymousRequest()));
 * await caller.auth.register({ username: 'ada', password: 'correct horse battery', session: 'token' });
 * ```
 */
import type { Kysely } from 'kysely';
import type { Bus, Presence, RateLimiter } from '@parley/cluster';
import type { Database, DbDriver } from '@parley/db';
import { resolveApiConfig, type ApiConfigOverrides, type ApiDeps, type ApiMetrics, type Logger, type RequestInfo } from './context.ts';
import { AccessCache } from './access-cache.ts';
import { EventFeeds } from './features/event/event.feed.ts';
import { createMediaStorage } from './features/media/media.storage.ts';
import { MessageWriter } from './features/message/message.writer.ts';
import { appRouter } from './root.ts';
import { createCallerFactory } from './trpc.ts';

export { appRouter, type AppRouter } from './root.ts';
export { createContext, defaultApiConfig, resolveApiConfig } from './context.ts';
export { ACCESS_CACHE_TTL_MS, type AccessChange } from './access-cache.ts';
export type { ApiConfig, ApiConfigOverrides, ApiDeps, ApiMetrics, Context, Logger, RequestInfo } from './context.ts';
export { defaultRateLimits, type RateLimits } from './rate-limit.ts';
export type { ParleyEvent, ParleyEventType, ReactionChange } from './features/event/event.types.ts';
export type { MessageDto, ReactionDto, ReplyRef } from './features/message/message.types.ts';
export type { EditResult, DeleteResult, PinResult } from './features/message/message.actions.ts';
export type { AnnouncementDto } from './features/announcement/announcement.types.ts';
export type {
  NoteDto,
  NoteHistoryPage,
  NoteLockData,
  NoteLockGrant,
  NoteLockInfo,
  NoteSavedData,
  NoteSummaryDto,
  NoteUnlockedData,
  NoteUnlockReason,
  NoteVersionDto,
} from './features/note/note.types.ts';
export type { AppErrorData } from './errors.ts';
export type { BlockedUserDto } from './features/block/block.service.ts';
export type { RoomDto, RoomKind, RoomListItem, RoomMemberDto, RoomRole } from './features/room/room.types.ts';
export type { PartitionDto } from './features/partition/partition.service.ts';
export type { SearchHitDto, SearchPage, SearchSnippet } from './features/search/search.types.ts';
export type { NotifyChange, RoomNotifyDto } from './features/notify/notify.types.ts';
export type { ReadReceiptsDto, ReaderDto, ReadStateDto, ReadUpdatedData } from './features/read/read.types.ts';
export type { MarkReadResult } from './features/read/read.service.ts';
export type { MemberPresenceDto, PresenceListDto, PresenceSignalDto, PresenceStatus, TypingDto } from './features/presence/presence.types.ts';
export type { PublicUser } from './features/auth/auth.service.ts';
export type { AttachmentDto, AvatarUploadDto } from './features/media/media.types.ts';
export type { S3Settings } from './config.ts';

/**
 * The upload and download routes (plain HTTP, not tRPC: a body streams in under a hard limit),
 * for the transport to mount: `isMediaPath(path)` says whether a request is theirs.
 * @example
 * ```ts
 * if (isMediaPath(path)) return handleMediaRequest(req, res, deps, requestInfo(req, res));
 * ```
 */
export { handleMediaRequest, isMediaPath } from './features/media/media.http.ts';
export type { ProfileDto } from './features/profile/profile.types.ts';
export { AppError, AppErrorCode, internalErrorId } from './errors.ts';
export { encodeFrame, feedReceivedAt } from './features/event/event.wire.ts';
export type { EventHop } from './host.ts';
export { isKnownProcedure, refuseUnknownProcedure, sessionUserId } from './transport-guards.ts';
export { deleteExpiredSessions } from './features/auth/session.ts';
export { secondsWheel, TimerWheel, type WheelMember } from './timer-wheel.ts';

/**
 * One pass of a workspace's note-lock sweep (the `note-lock-sweep` background job, one node per
 * workspace under a lease): clears expired locks and those of ended sessions, each with its
 * `note.unlocked` event. Returns how many.
 * @example
 * ```ts
 * const cleared = await sweepNoteLocks(deps, 'acme');
 * ```
 */
export { sweepNoteLocks } from './features/note/note.service.ts';
export type { AdminAuditEntry, AdminAuditPage, AdminNode, AdminPartition } from './features/admin/admin.types.ts';

/**
 * Grants the administrator flag to the users named in ADMIN_USERNAMES (startup; audited).
 * @example
 * ```ts
 * await grantConfiguredAdmins({ db, log }, ['ada', 'grace']);
 * ```
 */
export { grantConfiguredAdmins } from './features/admin/admin.service.ts';

/**
 * While the server has no administrator: a one-time setup token (hash stored, 24 hours) for the
 * node to print; `auth.register({ setupToken })` with it makes the administrator. Null once one exists.
 * @example
 * ```ts
 * const token = await openAdminSetup({ db });
 * if (token) log.warn({}, `open ${url}/?setup=${token} to create the administrator's account`);
 * ```
 */
export { openAdminSetup } from './features/admin/admin.service.ts';
export { MESSAGE_MAX_CHARS, EDIT_WINDOW_MS } from './features/message/message.schema.ts';

/**
 * Creates a server-side caller (tests, scripts).
 * @example
 * ```ts
 * const me = await createCaller(ctx).auth.me();
 * ```
 */
export const createCaller = createCallerFactory(appRouter);

/**
 * Assembles the API's long-lived dependencies; close them with `deps.feeds.close()`,
 * `deps.access.close()` and `deps.mediaStorage.close()` (the bus, the limiter and the presence belong to the caller).
 * @example
 * ```ts
 * const deps = createApiDeps({
 *   db, dbDriver: 'pglite', bus, limiter: createMemoryRateLimiter(), presence: createMemoryPresence({ bus }), log: pino(),
 *   config: { rateLimits: { messagesPerUser: { limit: 20, windowMs: 10_000 } } },
 * });
 * ```
 */
export function createApiDeps(opts: {
  db: Kysely<Database>;
  /** Where the group commit of sends runs (`DbHandle.writeLanes`, or one database); `db` when absent. */
  writeDb?: Kysely<Database> | readonly Kysely<Database>[] | undefined;
  dbDriver: DbDriver;
  bus: Bus;
  limiter: RateLimiter;
  presence: Presence;
  log: Logger;
  config?: ApiConfigOverrides | undefined;
  metrics?: ApiMetrics | undefined;
}): ApiDeps {
  const config = resolveApiConfig(opts.config);
  return {
    db: opts.db,
    dbDriver: opts.dbDriver,
    bus: opts.bus,
    limiter: opts.limiter,
    presence: opts.presence,
    metrics: opts.metrics,
    log: opts.log,
    config,
    messageWriter: new MessageWriter(opts.writeDb ?? opts.db, opts.metrics),
    mediaStorage: createMediaStorage(config.s3),
    access: new AccessCache({ bus: opts.bus, log: opts.log, ttlMs: config.accessCacheTtlMs }),
    feeds: new EventFeeds({
      db: opts.db,
      bus: opts.bus,
      log: opts.log,
      pollMs: config.eventPollMs,
      safetyPollMs: config.eventSafetyPollMs,
      metrics: opts.metrics,
    }),
  };
}

/**
 * A request with no session and no browser Origin: what a script or a test starts from.
 * @example
 * ```ts
 * const ctx = createContext(deps, anonymousRequest({ token }));
 * ```
 */
export function anonymousRequest(overrides: Partial<RequestInfo> = {}): RequestInfo {
  return { token: null, tokenSource: null, originAllowed: true, ip: '127.0.0.1', ...overrides };
}
