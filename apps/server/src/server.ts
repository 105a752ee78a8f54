import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { sql } from 'kysely';
import { WebSocketServer } from 'ws';
import {
  AppError,
  appRouter,
  createContext,
  handleMediaRequest,
  internalErrorId,
  isMediaPath,
  isKnownProcedure,
  refuseUnknownProcedure,
  sessionUserId,
  type ApiDeps,
  type RequestInfo,
} from '@parley/api';
import type { RunningLease } from '@parley/cluster';
import { latestTemplateVersion, type NodeStatus } from '@parley/db';
import type { ServerMetrics } from './metrics.ts';
import { ConnectionCounter, defaultWsLimits, guardedConnectionHandler, WS_POLICY_VIOLATION, type ConnectionGuard, type WsLimits } from './ws-guard.ts';
import { bearerToken, clientIp, isHttps, isOriginAllowed, sessionCookieHeaders, sessionCookieToken, type OriginPolicy } from './http-util.ts';
import { createStaticHandler } from './static.ts';

/**
 * Connections waiting to be accepted. When a node dies, its clients (thousands) reconnect to the
 * others within about a second; Node's default (511) overflowed and the kernel dropped the
 * rest, nginx's 2 s connect timeout then marked healthy nodes down (measured by `pnpm bench`'s
 * storm step: 3,000–10,500 dropped connections per 3,400 reconnecting clients). The kernel caps
 * it at net.core.somaxconn (4096 on current Linux).
 */
export const LISTEN_BACKLOG = 4096;

/** Largest WebSocket message accepted: a 4,000-character message plus its envelope, with room. */
const WS_MAX_PAYLOAD_BYTES = 64 * 1024;
/**
 * Largest HTTP request body (tRPC calls; uploads will get their own route and limit). A batch of
 * sends at the largest message size fits many times over; anything bigger is refused with 413,
 * by its Content-Length before a byte is read, or while reading when it is sent chunked.
 */
export const HTTP_MAX_BODY_BYTES = 1024 * 1024;
/** Most calls in one batched HTTP request (the client's batch link sends at most as many). */
export const HTTP_MAX_BATCH = 20;
/** Keep-alive ping interval; nginx's proxy_read_timeout must be above it. */
export const WS_PING_MS = 25_000;

export interface ServerOptions {
  deps: ApiDeps;
  nodeId: string;
  origins: OriginPolicy;
  cookieSecure: 'auto' | 'true' | 'false';
  /** Directory of the built SPA; when missing, `/` explains how to build it. */
  webDist?: string | undefined;
  /** This node in the cluster's registry and the leases it runs, for `/health`. */
  cluster?: { status(): NodeStatus | 'unregistered'; leases(): readonly RunningLease[] } | undefined;
  /** `/metrics`, answered only when `metricsAllowed(socket address)` says so. */
  metrics?: ServerMetrics | undefined;
  metricsAllowed?: ((socketAddress: string | undefined) => boolean) | undefined;
  /** HTTP body limit in bytes (default {@link HTTP_MAX_BODY_BYTES}). */
  maxBodyBytes?: number | undefined;
  /** Calls per batched HTTP request (default {@link HTTP_MAX_BATCH}). */
  maxBatch?: number | undefined;
  /** What one WebSocket connection may cost (defaults: {@link defaultWsLimits}). */
  wsLimits?: Partial<WsLimits> | undefined;
}

export interface ParleyServer {
  http: Server;
  /** Starts listening; port 0 picks a free port. Returns the base URL. */
  listen(port: number, host?: string): Promise<string>;
  readonly connections: number;
  /** Bytes queued to WebSocket clients that they have not read yet, over all connections. */
  readonly wsBufferedBytes: number;
  readonly draining: boolean;
  /** From now on `/ready` and `/health` answer 503 and WebSocket upgrades are refused (`close()` does it too). */
  drain(): void;
  /** Stops accepting, asks WebSocket clients to reconnect elsewhere (1001), closes. */
  close(): Promise<void>;
}

/**
 * `memory`: no Redis configured; `down` while any of the Redis-backed parts (bus, rate limiter,
 * presence) has lost it (then the node is degraded: polling, limits fail open).
 */
export function redisState(parts: readonly { readonly state: 'memory' | 'up' | 'down' }[]): 'memory' | 'up' | 'down' {
  const states = parts.map((p) => p.state).filter((s) => s !== 'memory');
  if (states.length === 0) return 'memory';
  return states.includes('down') ? 'down' : 'up';
}

export function createParleyServer(opts: ServerOptions): ParleyServer {
  const { deps, origins } = opts;
  const startedAt = Date.now();
  let draining = false;

  /** Secure cookies (and HSTS): forced by COOKIE_SECURE, or `auto` and the request came over https. */
  const isSecure = (req: IncomingMessage) => (opts.cookieSecure === 'auto' ? isHttps(req, origins.isTrustedProxy) : opts.cookieSecure === 'true');

  const requestInfo = (req: IncomingMessage, res?: ServerResponse): RequestInfo => {
    const bearer = bearerToken(req);
    const cookie = sessionCookieToken(req.headers.cookie);
    const secure = isSecure(req);
    return {
      token: bearer ?? cookie,
      tokenSource: bearer ? 'bearer' : cookie ? 'cookie' : null,
      originAllowed: isOriginAllowed(req, origins),
      ip: clientIp(req, origins.isTrustedProxy),
      setSessionCookie: res
        ? (token, expiresAt) => res.appendHeader('Set-Cookie', sessionCookieHeaders(token, { secure, expiresAt, cookieHeader: req.headers.cookie }))
        : undefined,
    };
  };

  const maxBodyBytes = opts.maxBodyBytes ?? HTTP_MAX_BODY_BYTES;
  const trpcHandler = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    // Counted while reading (a chunked body has no length to check first): past it, 413.
    maxBodySize: maxBodyBytes,
    maxBatchSize: opts.maxBatch ?? HTTP_MAX_BATCH,
    createContext: ({ req, res }) => createContext(deps, requestInfo(req, res)),
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') deps.log.error({ err: error, path, errorId: internalErrorId(error) }, 'request failed');
    },
    // A rate-limit refusal (429) also says when to retry in the standard header, in seconds.
    responseMeta: ({ errors }) => {
      const waits = errors.flatMap((e) => (e.cause instanceof AppError && e.cause.retryAfterMs ? [e.cause.retryAfterMs] : []));
      return waits.length ? { headers: { 'retry-after': String(Math.ceil(Math.max(...waits) / 1000)) } } : {};
    },
  });

  const staticHandler = opts.webDist && existsSync(opts.webDist) ? createStaticHandler(opts.webDist, { secure: isSecure }) : undefined;

  /**
   * 413 before reading anything, in tRPC's error shape, and the connection closed: the rest of
   * the body is never read into memory.
   */
  const refuseBody = (res: ServerResponse, limit: number) => {
    res.setHeader('connection', 'close');
    json(res, 413, {
      error: {
        message: `The request is too large: at most ${Math.round(limit / 1024)} KiB.`,
        code: -32600,
        data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413 },
      },
    });
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  const databaseUp = async () => {
    try {
      await sql`select 1`.execute(deps.db);
      return true;
    } catch {
      return false;
    }
  };

  /** `initialized`: on the latest partition template version (a partition upgrade is not stuck). */
  const partitionCounts = async () => {
    const latest = await latestTemplateVersion();
    const row = await deps.db
      .selectFrom('partitions')
      .select([sql<number>`count(*)::int`.as('configured'), sql<number>`(count(*) filter (where template_version >= ${latest}))::int`.as('initialized')])
      .executeTakeFirstOrThrow();
    return { configured: row.configured, initialized: row.initialized };
  };

  /** Open subscriptions over server-sent events (the client's HTTP fallback), ended at once on close(). */
  const eventStreams = new Set<IncomingMessage>();

  const handleRequest = async (req: IncomingMessage, res: ServerResponse) => {
    // While draining, every answer closes its connection: nginx stops reusing its pooled
    // connections to this node by itself instead of finding them cut under a request.
    if (draining) res.setHeader('connection', 'close');
    // Which node answered, by id (nginx passes it through): never an internal address.
    res.setHeader('x-parley-node', opts.nodeId);
    res.setHeader('x-content-type-options', 'nosniff');
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path.startsWith('/trpc/')) {
      if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) return refuseBody(res, maxBodyBytes);
      if (await refusedUnknownCalls(req, res, path)) return;
      if (req.headers.accept?.includes('text/event-stream')) {
        eventStreams.add(req);
        res.once('close', () => eventStreams.delete(req));
      }
      return trpcHandler(req, res);
    }
    // Uploads and downloads: their own body limits (MEDIA_MAX_BYTES, AVATAR_MAX_BYTES), the same guards.
    if (isMediaPath(path)) return handleMediaRequest(req, res, deps, requestInfo(req, res));
    if (path === '/live') return json(res, 200, { status: 'ok' });
    if (path === '/ready') {
      const db = await databaseUp();
      const ready = db && !draining;
      return json(res, ready ? 200 : 503, { status: ready ? 'ready' : draining ? 'draining' : 'database unavailable' });
    }
    if (path === '/metrics') {
      if (!opts.metrics || !opts.metricsAllowed?.(req.socket.remoteAddress)) {
        return json(res, 403, { error: 'metrics are served only to the addresses in METRICS_ALLOW' });
      }
      const body = await opts.metrics.render();
      res.writeHead(200, { 'content-type': opts.metrics.contentType, 'cache-control': 'no-store' });
      return res.end(body);
    }
    if (path === '/health') {
      const db = await databaseUp();
      const redis = redisState([deps.bus, deps.limiter, deps.presence]);
      const partitions = db ? await partitionCounts().catch(() => null) : null;
      // Which workspaces this node works for (lease scopes are workspace ids) is for operators:
      // those `/metrics` admits (loopback and private networks by default), not the public.
      const detailed = opts.metricsAllowed?.(req.socket.remoteAddress) ?? false;
      const leases = opts.cluster?.leases() ?? [];
      // Degraded still serves (200): events arrive by polling the log, limits fail open.
      return json(res, db && !draining ? 200 : 503, {
        status: draining ? 'draining' : db ? (redis === 'down' ? 'degraded' : 'ok') : 'down',
        node: opts.nodeId,
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        database: { driver: deps.dbDriver, up: db },
        redis,
        bus: deps.bus.state,
        rateLimiter: deps.limiter.state,
        presence: deps.presence.state,
        nodeStatus: opts.cluster?.status() ?? null,
        partitions,
        connections: wss.clients.size,
        leases: detailed ? leases.map((l) => ({ job: l.job, scope: l.scope, generation: l.generation, since: l.since })) : undefined,
        leasesHeld: leases.length,
        partitionFeeds: deps.feeds.size,
        queues: { eventsWaitingForGaps: deps.feeds.backlog, sendsWaitingToCommit: deps.messageWriter.queued, webSocketBufferedBytes: wsBuffered() },
        groupCommit: deps.messageWriter.stats,
      });
    }
    if (staticHandler) return staticHandler(req, res, () => json(res, 404, { error: 'not found' }));
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Parley API is running. The web app is not built: run `pnpm build` (or `pnpm start`).\n');
  };
  // A handler that throws (the database, /metrics) answers 500 instead of an unhandled rejection.
  const http = createServer((req, res) => {
    handleRequest(req, res).catch((error: unknown) => {
      deps.log.error({ err: error, path: req.url }, 'request failed');
      if (res.headersSent) res.destroy();
      else json(res, 500, { error: 'internal error' });
    });
  });

  const wsLimits: WsLimits = { ...defaultWsLimits, ...opts.wsLimits };
  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD_BYTES });
  wss.on('headers', (headers) => headers.push(`X-Parley-Node: ${opts.nodeId}`));
  const perAddress = new ConnectionCounter(() => wsLimits.maxConnectionsPerAddress);
  const perUser = new ConnectionCounter(() => wsLimits.maxConnectionsPerUser);
  const onConnection = guardedConnectionHandler<typeof appRouter, RequestInfo>({
    router: appRouter,
    limits: wsLimits,
    hooks: {
      isKnownProcedure,
      refuseUnknown: (path, request) => refuseUnknownProcedure(deps, request.ip, path),
      eventHop: deps.metrics?.eventHop?.bind(deps.metrics),
      closed: (guard) => {
        perAddress.remove(guard.request.ip);
        if (guard.account !== undefined) perUser.remove(guard.account);
      },
    },
    keepAlive: { pingMs: WS_PING_MS, pongWaitMs: 10_000 },
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') deps.log.error({ err: error, path, errorId: internalErrorId(error) }, 'call failed');
    },
    // What a connection keeps of its upgrade request: the session token, the Origin verdict and
    // the address, not the request with its headers; and of its connection params, the token.
    describe: (req) => requestInfo(req),
    connect: ({ request, connectionParams, guard }) => {
      const paramToken = typeof connectionParams?.token === 'string' ? connectionParams.token : null;
      const token = paramToken ?? request.token;
      if (token) limitPerUser(guard, token);
      return { token, tokenSource: paramToken ? 'bearer' : request.tokenSource, originAllowed: request.originAllowed, ip: request.ip, drained: guard.drained };
    },
    // A call's context, from the connection's request info (the connection keeps no context).
    context: (request) => createContext(deps, request),
  });

  /**
   * Connections signed in as one user, counted once the token is known (at once, or with the
   * connection params): past the bound the newest one is closed with a reason. The count is
   * given back when the connection ends (the handler's `closed` hook).
   */
  const limitPerUser = (guard: ConnectionGuard<RequestInfo>, token: string) => {
    void sessionUserId(deps, token).then((userId) => {
      const ws = guard.socket;
      if (!userId || ws.readyState !== ws.OPEN) return;
      if (!perUser.tryAdd(userId)) {
        ws.close(WS_POLICY_VIOLATION, `Too many connections for this account (at most ${wsLimits.maxConnectionsPerUser}).`);
        return;
      }
      guard.account = userId;
    });
  };

  const wsBuffered = () => {
    let bytes = 0;
    for (const client of wss.clients) bytes += client.bufferedAmount;
    return bytes;
  };

  /**
   * A batch naming procedures that do not exist: each counts against the address's limit (tRPC
   * would answer them before any middleware). Over the limit the whole request gets 429.
   */
  const refusedUnknownCalls = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    const names = decodeURIComponent(path.slice('/trpc/'.length)).split(',');
    const unknown = names.filter((name) => !isKnownProcedure(name)).slice(0, opts.maxBatch ?? HTTP_MAX_BATCH);
    if (unknown.length === 0) return false;
    const ip = requestInfo(req).ip;
    for (const name of unknown) {
      const error = await refuseUnknownProcedure(deps, ip, name);
      if (error.code === 'TOO_MANY_REQUESTS') {
        if (error.retryAfterMs) res.setHeader('retry-after', String(Math.ceil(error.retryAfterMs / 1000)));
        json(res, 429, {
          error: { message: error.message, code: -32029, data: { code: 'TOO_MANY_REQUESTS', httpStatus: 429, retryAfterMs: error.retryAfterMs } },
        });
        return true;
      }
    }
    return false;
  };

  http.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/trpc' && path !== '/trpc/') {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    if (draining) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\n');
      return;
    }
    if (!isOriginAllowed(req, origins)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const address = requestInfo(req).ip;
    if (!perAddress.tryAdd(address)) {
      socket.end(
        `HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nToo many connections from your address (at most ${wsLimits.maxConnectionsPerAddress}).\n`,
      );
      return;
    }
    // Until it is a WebSocket the socket gives its address's count back; from then on its connection does.
    const release = () => perAddress.remove(address);
    socket.once('close', release);
    wss.handleUpgrade(req, socket, head, (ws) => {
      socket.removeListener('close', release);
      onConnection(ws, req);
    });
  });

  return {
    http,
    get connections() {
      return wss.clients.size;
    },
    get wsBufferedBytes() {
      return wsBuffered();
    },
    get draining() {
      return draining;
    },
    drain() {
      draining = true;
    },
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
          const addr = http.address() as AddressInfo;
          const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
          resolve(`http://${shownHost}:${addr.port}`);
        });
      });
    },
    async close() {
      draining = true;
      // Tell tRPC clients to reconnect (to another node, or to this one after a restart).
      const reconnect = JSON.stringify({ id: null, method: 'reconnect' });
      for (const client of wss.clients) if (client.readyState === client.OPEN) client.send(reconnect);
      for (const client of wss.clients) client.close(1001, 'server going away');
      // An event stream has no reconnect notice: cutting it is the notice. The client resumes
      // from its last event id on another node at once, instead of after the 5 s wait below.
      for (const stream of eventStreams) stream.socket.destroy();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeIdleConnections();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        setTimeout(() => {
          http.closeAllConnections();
          resolve();
        }, 5_000).unref();
      });
      for (const client of wss.clients) client.terminate();
    },
  };
}
