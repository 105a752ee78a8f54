import type { Kysely } from 'kysely';
import type { Database, DbDriver } from '@parley/db';
import type { Bus } from '@parley/cluster';
import type { EventFeeds } from './features/event/event.feed.ts';

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
  /** How often a node re-reads the event log when the bus is quiet (safety net for a lost publish). */
  eventPollMs: number;
}

export const defaultApiConfig: ApiConfig = {
  sessionIdleMs: 30 * 60_000,
  sessionAbsoluteMs: 30 * 24 * 60 * 60_000,
  eventPollMs: 1000,
};

/** Long-lived infrastructure, created once per node by apps/server (or by a test). */
export interface ApiDeps {
  db: Kysely<Database>;
  dbDriver: DbDriver;
  bus: Bus;
  log: Logger;
  config: ApiConfig;
  feeds: EventFeeds;
}

/** What the transport tells the API about one request or WebSocket connection. */
export interface RequestInfo {
  /** The session token, if the request carried one. */
  token: string | null;
  tokenSource: 'cookie' | 'bearer' | null;
  /** false when a browser sent an Origin that is not on the allowlist. */
  originAllowed: boolean;
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
