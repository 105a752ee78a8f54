import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { getErrorShape, TRPCError, transformTRPCResponse, type AnyRouter, type inferRouterContext } from '@trpc/server';
import { getWSConnectionHandler, type Encoder, type WSSHandlerOptions } from '@trpc/server/adapters/ws';
import type { WebSocket } from 'ws';
import { AppError, encodeFrame, feedReceivedAt, type ApiMetrics } from '@parley/api';

/**
 * What one WebSocket connection may cost a node. tRPC's adapter answers every call it is sent,
 * at once, without looking at whether the client reads its answers; these bounds sit between
 * the socket and tRPC (see {@link guardedConnectionHandler}). Each is configurable (env.ts).
 */
export interface WsLimits {
  /** Calls in one frame (a batch). A frame with more closes the connection (1008). */
  maxCallsPerFrame: number;
  /** Queries and mutations sent and not answered yet; more are answered TOO_MANY_REQUESTS. */
  maxInFlight: number;
  /** Open subscriptions; more are answered TOO_MANY_REQUESTS. */
  maxSubscriptions: number;
  /**
   * Bytes queued for a client that is not reading them: above this the node stops reading the
   * client's calls (TCP pushes back on the client) and subscriptions wait until it drains.
   */
  highWaterBytes: number;
  /** Bytes queued past which the connection is dropped: the client resumes from its last event. */
  maxBufferedBytes: number;
  /** Open connections from one address (X-Forwarded-For's client behind a trusted proxy). */
  maxConnectionsPerAddress: number;
  /** Open connections signed in as one user. */
  maxConnectionsPerUser: number;
}

export const defaultWsLimits: WsLimits = {
  maxCallsPerFrame: 100,
  maxInFlight: 100,
  maxSubscriptions: 100,
  highWaterBytes: 512 * 1024,
  maxBufferedBytes: 8 * 1024 * 1024,
  maxConnectionsPerAddress: 1000,
  maxConnectionsPerUser: 30,
};

/**
 * Sockets holding this turn's frames (corked), written out together once the turn's promise
 * jobs are done: one feed event reaches a connection's subscriptions in microtasks one after
 * another, and under load many events reach it in one turn. One write (one `writev`) per
 * socket per turn instead of one per frame; the frames wait for no timer, only for the end
 * of the turn (`setImmediate`).
 */
const corked = new Set<Duplex>();
let flushScheduled = false;

function flushCorked(): void {
  flushScheduled = false;
  for (const socket of corked) socket.uncork();
  corked.clear();
}

/** Holds the connection's writes until the end of this turn of the event loop. */
function corkUntilTurnEnds(ws: WebSocket): void {
  const socket = (ws as unknown as { _socket?: Duplex })._socket;
  if (!socket || socket.destroyed || corked.has(socket)) return;
  socket.cork();
  corked.add(socket);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushCorked);
  }
}

/** Close code for a client that broke a limit (RFC 6455: policy violation). */
export const WS_POLICY_VIOLATION = 1008;
/** How often a paused connection looks whether its client has read enough to go on. */
const DRAIN_CHECK_MS = 25;

type Outgoing = { id?: unknown; result?: { type?: string }; error?: unknown };
type Incoming = { id?: unknown; jsonrpc?: unknown; method?: unknown; params?: { path?: unknown } };

export interface GuardHooks {
  /**
   * A call to a procedure that does not exist: the error to answer (NOT_FOUND, or
   * TOO_MANY_REQUESTS once the address is over its per-address limit).
   */
  refuseUnknown(path: string, req: IncomingMessage): Promise<AppError>;
  isKnownProcedure(path: string): boolean;
  /** The `socket` hop of each live event frame (from the feed having it until its frame is made here). */
  eventHop?: ApiMetrics['eventHop'];
}

/**
 * One connection's guard. It sees every frame before tRPC does (through the connection's
 * encoder: `decode` gets the client's frames, `encode` the node's answers), so it knows what is
 * in flight, what each answer settles and how much the socket holds.
 */
export class ConnectionGuard {
  private readonly inFlight = new Set<unknown>();
  private readonly subscriptions = new Set<unknown>();
  private paused = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly req: IncomingMessage,
    private readonly limits: WsLimits,
    private readonly router: AnyRouter,
    private readonly hooks: GuardHooks,
  ) {
    ws.once('close', () => {
      this.closed = true;
      this.stopTimer();
      this.wakeWaiters();
    });
  }

  get socket(): WebSocket {
    return this.ws;
  }

  /** Resolves when the socket holds less than the high-water mark (or is gone). */
  drained = (): Promise<void> => {
    if (this.closed || this.ws.bufferedAmount <= this.limits.highWaterBytes) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.startTimer();
    });
  };

  /** The encoder tRPC's handler uses for this connection only. */
  readonly encoder: Encoder = {
    encode: (data) => {
      this.settle(data as Outgoing);
      this.checkBuffer();
      if (this.hooks.eventHop) this.observeEventHop(data as Outgoing);
      if (!this.closed) corkUntilTurnEnds(this.ws);
      // A live event's JSON is made once per node, not once per subscriber (event.wire.ts).
      return encodeFrame(data);
    },
    decode: (data) => {
      if (typeof data !== 'string') throw new Error('Parley speaks JSON in text frames.');
      const parsed: unknown = JSON.parse(data);
      // tRPC's connection-params message (the first frame when `?connectionParams=1`) is not a call.
      if (!Array.isArray(parsed) && (parsed as { method?: unknown } | null)?.method === 'connectionParams') return parsed;
      const calls = Array.isArray(parsed) ? parsed : [parsed];
      if (calls.length > this.limits.maxCallsPerFrame) {
        this.violate(`At most ${this.limits.maxCallsPerFrame} calls in one message.`);
        return [];
      }
      return calls.filter((call) => this.admit(call as Incoming));
    },
  };

  private observeEventHop(frame: Outgoing): void {
    const event = (frame.result as { data?: { data?: unknown } } | undefined)?.data?.data;
    const received = event !== null && typeof event === 'object' ? feedReceivedAt(event) : undefined;
    if (received !== undefined) this.hooks.eventHop?.('socket', (Date.now() - received) / 1000);
  }

  /** Whether tRPC gets the call; a refused one is answered here. */
  private admit(call: Incoming): boolean {
    if (call === null || typeof call !== 'object') return true; // tRPC answers its own parse error
    const { id, method } = call;
    if (method === 'subscription.stop') return true;
    const path = typeof call.params?.path === 'string' ? call.params.path : undefined;
    if (id === undefined || id === null || path === undefined) return true;
    if (this.inFlight.has(id) || this.subscriptions.has(id)) {
      this.refuse(call, new TRPCError({ code: 'BAD_REQUEST', message: `A call with id ${JSON.stringify(id)} is already running on this connection.` }));
      return false;
    }
    if (method === 'subscription') {
      if (this.subscriptions.size >= this.limits.maxSubscriptions) {
        this.refuse(call, tooMany(`At most ${this.limits.maxSubscriptions} subscriptions on one connection.`));
        return false;
      }
    } else if (this.inFlight.size >= this.limits.maxInFlight) {
      this.refuse(call, tooMany(`At most ${this.limits.maxInFlight} calls waiting for an answer on one connection.`));
      return false;
    }
    if (!this.hooks.isKnownProcedure(path)) {
      this.inFlight.add(id);
      void this.hooks.refuseUnknown(path, this.req).then((error) => {
        this.inFlight.delete(id);
        this.refuse(call, new TRPCError({ code: error.code, message: error.message, cause: error }));
      });
      return false;
    }
    (method === 'subscription' ? this.subscriptions : this.inFlight).add(id);
    return true;
  }

  /** An answer going out: a query's or mutation's answer, or a subscription's end, frees its slot. */
  private settle(message: Outgoing): void {
    if (message === null || typeof message !== 'object' || message.id === undefined || message.id === null) return;
    const { id } = message;
    // A query or mutation has exactly one answer.
    if (this.inFlight.delete(id)) return;
    if (this.subscriptions.has(id) && (message.error !== undefined || message.result?.type === 'stopped')) this.subscriptions.delete(id);
  }

  private refuse(call: Incoming, error: TRPCError): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    const type = call.method === 'mutation' || call.method === 'subscription' ? call.method : 'query';
    const path = typeof call.params?.path === 'string' ? call.params.path : undefined;
    const shape = getErrorShape({ config: this.router._def._config, error, type, path, input: undefined, ctx: undefined });
    const response = { id: call.id as string | number, ...(call.jsonrpc === '2.0' ? { jsonrpc: '2.0' as const } : {}), error: shape };
    this.ws.send(JSON.stringify(transformTRPCResponse(this.router._def._config, response)));
    this.checkBuffer();
  }

  /** Past the hard bound the connection goes; past the high-water mark the node stops reading it. */
  private checkBuffer(): void {
    if (this.closed) return;
    const buffered = this.ws.bufferedAmount;
    if (buffered > this.limits.maxBufferedBytes) {
      // close() would queue its frame behind what the client is not reading: drop it now.
      this.closed = true;
      this.ws.terminate();
      return;
    }
    if (buffered > this.limits.highWaterBytes && !this.paused) {
      this.paused = true;
      this.ws.pause();
      this.startTimer();
    }
  }

  private startTimer(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      if (this.closed || this.ws.bufferedAmount <= this.limits.highWaterBytes) {
        if (this.paused && !this.closed) this.ws.resume();
        this.paused = false;
        this.stopTimer();
        this.wakeWaiters();
      }
    }, DRAIN_CHECK_MS);
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private wakeWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private violate(reason: string): void {
    if (this.closed) return;
    this.ws.close(WS_POLICY_VIOLATION, reason);
    // A client that does not read will not answer the close handshake either.
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }
}

function tooMany(message: string): TRPCError {
  return new TRPCError({ code: 'TOO_MANY_REQUESTS', message, cause: new AppError('TOO_MANY_REQUESTS', message, { retryAfterMs: 1000 }) });
}

/**
 * tRPC's connection handler with a {@link ConnectionGuard} in front, one per connection (the
 * guard is the connection's encoder). `contextFor` gets the guard to hand `drained` to the
 * request context.
 */
export interface GuardedHandlerOptions<TRouter extends AnyRouter> {
  router: TRouter;
  limits: WsLimits;
  hooks: GuardHooks;
  keepAlive?: WSSHandlerOptions<TRouter>['keepAlive'];
  onError?: WSSHandlerOptions<TRouter>['onError'];
  createContext: (opts: {
    req: IncomingMessage;
    connectionParams: Record<string, string | undefined> | null;
    guard: ConnectionGuard;
  }) => inferRouterContext<TRouter>;
}

export function guardedConnectionHandler<TRouter extends AnyRouter>(
  opts: GuardedHandlerOptions<TRouter>,
): (ws: WebSocket, req: IncomingMessage) => ConnectionGuard {
  return (ws, req) => {
    const guard = new ConnectionGuard(ws, req, opts.limits, opts.router, opts.hooks);
    const handler = getWSConnectionHandler<TRouter>({
      router: opts.router,
      keepAlive: opts.keepAlive,
      onError: opts.onError,
      wss: undefined, // only applyWSSHandler reads it
      experimental_encoder: guard.encoder,
      createContext: ({ req, info }) => opts.createContext({ req, connectionParams: info.connectionParams, guard }),
    });
    handler(ws, req);
    return guard;
  };
}

/** Open connections per key (an address, a user), with a bound. */
export class ConnectionCounter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly max: () => number) {}

  /** Counts one more for `key`, unless it is at its bound (then false, nothing counted). */
  tryAdd(key: string): boolean {
    const n = this.counts.get(key) ?? 0;
    if (n >= this.max()) return false;
    this.counts.set(key, n + 1);
    return true;
  }

  remove(key: string): void {
    const n = (this.counts.get(key) ?? 1) - 1;
    if (n <= 0) this.counts.delete(key);
    else this.counts.set(key, n);
  }
}
