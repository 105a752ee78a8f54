import type { Kysely } from 'kysely';
import type { Database, DbDriver } from '@parley/db';
import type { Bus, Presence, RateLimiter } from '@parley/cluster';
import type { AccessCache } from './access-cache.ts';
import type { ApiConfig } from './config.ts';
import type { EventFeeds } from './features/event/event.feed.ts';
import type { MediaStorage } from './features/media/media.storage.ts';
import type { MessageWriter } from './features/message/message.writer.ts';
import type { ApiMetrics, Logger } from './host.ts';

// Three modules, not one, so that nothing they import has to import the request context back:
// `host.ts` (what the host provides: logger, metrics), `config.ts` (ApiConfig and its defaults)
// and this one (the per-node deps and the per-request context). Re-exported for compatibility.
export type { ApiMetrics, Logger } from './host.ts';
export { defaultApiConfig, resolveApiConfig, type ApiConfig, type ApiConfigOverrides } from './config.ts';

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
  /** Where attachments' and avatars' bytes go: the database by default, an S3 bucket when `config.s3` is set. */
  mediaStorage: MediaStorage;
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
  /**
   * Present on WebSocket connections: resolves once the socket has room for more (what the
   * node has queued for this client is below its bound). A subscription awaits it before each
   * event, so a client that reads slowly is fed at its own pace, not from the node's memory.
   */
  drained?: (() => Promise<void>) | undefined;
}

export interface Context extends ApiDeps {
  req: RequestInfo;
}

/**
 * Builds a request context. The transport (apps/server) supplies {@link RequestInfo}.
 *
 * `Object.assign`, not an object spread: once V8 has optimized the spread here it gives every
 * copy a hidden class of its own (a map, a descriptor array and an enum cache: about 400 bytes
 * per context, kept as long as a WebSocket connection), where `Object.assign` shares one.
 */
export function createContext(deps: ApiDeps, req: RequestInfo): Context {
  const ctx = Object.assign({}, deps) as Context;
  ctx.req = req;
  return ctx;
}
