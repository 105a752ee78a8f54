import { MEDIA_MAX_BYTES_DEFAULT, NOTE_LOCK_MS, NOTE_LOCK_SWEEP_MS, ROOM_MENTION_MAX_MEMBERS } from '@parley/rules';
import { ACCESS_CACHE_TTL_MS } from './access-cache.ts';
import { defaultRateLimits, type RateLimits } from './rate-limit.ts';

/** An S3-compatible object store for attachments and avatars (any store the AWS SDK v3 S3 client speaks to: AWS, MinIO, s3rver…). */
export interface S3Settings {
  /** e.g. `http://minio:9000`; absent: AWS's own endpoint for `region`. */
  endpoint?: string | undefined;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `http://host/bucket/key` rather than `http://bucket.host/key` (MinIO, s3rver). */
  forcePathStyle: boolean;
}

export interface ApiConfig {
  /** A session unused for this long expires (renewed by activity). */
  sessionIdleMs: number;
  /** A session expires this long after login, whatever its activity. */
  sessionAbsoluteMs: number;
  /**
   * How often a node re-reads the event log while the bus cannot be relied on: an in-memory
   * bus (other processes on the same database are only seen this way) or Redis down.
   */
  eventPollMs: number;
  /** How often it re-reads the log anyway while the Redis bus is up (a publish can be lost). */
  eventSafetyPollMs: number;
  rateLimits: RateLimits;
  /** Lower-cased usernames that become Parley administrators when they register (ADMIN_USERNAMES). */
  adminUsernames: readonly string[];
  /** Workspaces one account may create (those that still exist); Parley administrators have no cap (MAX_WORKSPACES_PER_USER). */
  maxWorkspacesPerUser: number;
  /**
   * The first account of an empty database becomes a Parley administrator. Only for a server
   * nobody else can reach (apps/server: HOST on loopback) and tests; otherwise ADMIN_USERNAMES
   * or the one-time setup token name the administrator.
   */
  firstAccountIsAdmin: boolean;
  /** A node whose heartbeat is older than this is unhealthy (the cluster's rule, for the admin view). */
  nodeStaleMs: number;
  /** How long a node trusts a validated session or membership without the database (see ACCESS_CACHE_TTL_MS); 0 turns the cache off. */
  accessCacheTtlMs: number;
  /** How long a note's lock lives after it is taken or renewed, on the database clock (NOTE_LOCK_SECONDS; seed 001: 5 minutes). */
  noteLockMs: number;
  /** How often the one node holding the `note-lock-sweep` lease of a workspace clears its expired locks (NOTE_LOCK_SWEEP_SECONDS; 30 s). */
  noteLockSweepMs: number;
  /** Rooms of at most this many people: any member may use `@room` (room admins always may) (ROOM_MENTION_MAX_MEMBERS; 20). */
  roomMentionMaxMembers: number;
  /** Who runs this server, for push services (PUSH_SUBJECT: a `mailto:` or `https:` URL, sent in each Web Push's VAPID token). */
  pushSubject: string;
  /** Accept `http:` push endpoints (tests play the push service on a local port); production push services are `https:`. */
  pushAllowHttp: boolean;
  /** Largest attachment upload, in bytes (MEDIA_MAX_BYTES; 25 MB). */
  mediaMaxBytes: number;
  /** Largest avatar upload, in bytes (AVATAR_MAX_BYTES; 5 MB). */
  avatarMaxBytes: number;
  /**
   * Bytes of uploads one node holds in memory at once (MEDIA_UPLOAD_MEMORY_BYTES; 100 MB): an
   * upload is read whole before it is typed and stored, so past this the next upload is refused
   * with 503 and Retry-After (the client retries it) instead of growing the node without bound.
   */
  uploadMemoryBytes: number;
  /** Where new uploads' bytes go: null keeps them in the database (the `data` columns); set, in this S3 bucket. */
  s3: S3Settings | null;
}

export const defaultApiConfig: ApiConfig = {
  sessionIdleMs: 30 * 60_000,
  sessionAbsoluteMs: 30 * 24 * 60 * 60_000,
  eventPollMs: 1000,
  eventSafetyPollMs: 5000,
  rateLimits: defaultRateLimits,
  adminUsernames: [],
  maxWorkspacesPerUser: 20,
  firstAccountIsAdmin: false,
  nodeStaleMs: 15_000,
  accessCacheTtlMs: ACCESS_CACHE_TTL_MS,
  noteLockMs: NOTE_LOCK_MS,
  noteLockSweepMs: NOTE_LOCK_SWEEP_MS,
  roomMentionMaxMembers: ROOM_MENTION_MAX_MEMBERS,
  pushSubject: 'mailto:parley@example.invalid',
  pushAllowHttp: false,
  mediaMaxBytes: MEDIA_MAX_BYTES_DEFAULT,
  avatarMaxBytes: 5 * 1024 * 1024,
  uploadMemoryBytes: 100 * 1024 * 1024,
  s3: null,
};

/** Partial configuration; each rate limit rule can be overridden on its own. */
export type ApiConfigOverrides = Partial<Omit<ApiConfig, 'rateLimits'>> & { rateLimits?: Partial<RateLimits> | undefined };

/** The defaults with `overrides` on top (an `undefined` value keeps the default). */
export function resolveApiConfig(overrides: ApiConfigOverrides = {}): ApiConfig {
  return {
    ...defaultApiConfig,
    ...definedOnly(overrides),
    rateLimits: { ...defaultApiConfig.rateLimits, ...definedOnly(overrides.rateLimits ?? {}) },
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
