import { NOTE_LOCK_MS, NOTE_LOCK_SWEEP_MS } from '@parley/rules';
import { ACCESS_CACHE_TTL_MS } from './access-cache.ts';
import { defaultRateLimits, type RateLimits } from './rate-limit.ts';

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
