import type { Kysely } from 'kysely';
import type { Database, DbDriver } from '@parley/db';
import type { Bus, Presence, RateLimiter } from '@parley/cluster';
import { ACCESS_CACHE_TTL_MS, type AccessCache } from './access-cache.ts';
import type { EventFeeds } from './features/event/event.feed.ts';
import type { MessageWriter } from './features/message/message.writer.ts';
import { defaultRateLimits, type RateLimits } from './rate-limit.ts';

/** The minimal logger the API needs (pino satisfies it). */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
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
  /** A node whose heartbeat is older than this is unhealthy (the cluster's rule, for the admin view). */
  nodeStaleMs: number;
  /** How long a node trusts a validated session or membership without the database (see ACCESS_CACHE_TTL_MS); 0 turns the cache off. */
  accessCacheTtlMs: number;
}

export const defaultApiConfig: ApiConfig = {
  sessionIdleMs: 30 * 60_000,
  sessionAbsoluteMs: 30 * 24 * 60 * 60_000,
  eventPollMs: 1000,
  eventSafetyPollMs: 5000,
  rateLimits: defaultRateLimits,
  adminUsernames: [],
  nodeStaleMs: 15_000,
  accessCacheTtlMs: ACCESS_CACHE_TTL_MS,
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

/**
 * What a node may observe of the API (apps/server turns it into Prometheus metrics). Calls
 * are synchronous and on the hot path: count, do not wait.
 */
export interface ApiMetrics {
  /**
   * A subscription yielded a durable event to its client: `live` when it came from the feed as
   * it happened, false when it was read back from the log (a resume, a gap filled).
   */
  eventDelivered(event: { partitionId: string; type: string; at: string }, live: boolean): void;
  /**
   * A group commit of sends was committed: `sends` in the statement (at most
   * MAX_BATCH_MESSAGES), `inserted` of them new messages (the rest duplicates or refused), and
   * how long the statement took in `seconds` (the counter row is locked for about that long).
   */
  groupCommitted(batch: { sends: number; inserted: number; seconds: number }): void;
}

/** Long-lived infrastructure, created once per node by apps/server (or by a test). */
export interface ApiDeps {
  db: Kysely<Database>;
  dbDriver: DbDriver;
  bus: Bus;
  /** Rate limits: in memory on one node, in Redis across a cluster. */
  limiter: RateLimiter;
  /** Who is online and typing: in memory on one node, in Redis across a cluster. */
  presence: Presence;
  log: Logger;
  config: ApiConfig;
  feeds: EventFeeds;
  /** Group commit of sends, per partition. */
  messageWriter: MessageWriter;
  /** Validated sessions and memberships, for a few seconds, forgotten cluster-wide on every change. */
  access: AccessCache;
  /** Optional observation hooks (Prometheus in apps/server); absent in most tests. */
  metrics?: ApiMetrics | undefined;
}

/** What the transport tells the API about one request or WebSocket connection. */
export interface RequestInfo {
  /** The session token, if the request carried one. */
  token: string | null;
  tokenSource: 'cookie' | 'bearer' | null;
  /** false when a browser sent an Origin that is not on the allowlist. */
  originAllowed: boolean;
  /** The client's address (behind a proxy, from X-Forwarded-For when trusted); keys the per-IP limits. */
  ip: string;
  /** Present on HTTP requests: sets or clears the session cookie. */
  setSessionCookie?: ((token: string | null, expiresAt?: Date) => void) | undefined;
}

export interface Context extends ApiDeps {
  req: RequestInfo;
}

/** Builds a request context. The transport (apps/server) supplies {@link RequestInfo}. */
export function createContext(deps: ApiDeps, req: RequestInfo): Context {
  return { ...deps, req };
}
