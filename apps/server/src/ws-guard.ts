import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  callTRPCProcedure,
  getErrorShape,
  getTRPCErrorFromUnknown,
  isTrackedEnvelope,
  TRPCError,
  transformTRPCResponse,
  type AnyRouter,
  type inferRouterContext,
  type TRPCProcedureType,
} from '@trpc/server';
import { isObservable, observableToAsyncIterable } from '@trpc/server/observable';
import { parseTRPCMessage, type TRPCClientOutgoingMessage, type TRPCResponseMessage } from '@trpc/server/rpc';
import { defaultTransformer, isAsyncIterable, isObject, parseConnectionParamsFromUnknown } from '@trpc/server/unstable-core-do-not-import';
import type { RawData, WebSocket } from 'ws';
import { AppError, encodeFrame, feedReceivedAt, secondsWheel, type ApiMetrics, type WheelMember } from '@parley/api';

/**
 * What one WebSocket connection may cost a node. The node answers every call it is sent, at
 * once, without looking at whether the client reads its answers; these bounds sit between the
 * socket and the procedures (see {@link ConnectionGuard}). Each is configurable (env.ts).
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

/** `ws.send` options of every frame: text, also when it is given as bytes. */
const TEXT_FRAME = { binary: false } as const;

/** Close code for a client that broke a limit (RFC 6455: policy violation). */
export const WS_POLICY_VIOLATION = 1008;
/** How often a paused connection looks whether its client has read enough to go on. */
const DRAIN_CHECK_MS = 25;
const WS_OPEN = 1;

type Outgoing = { id?: unknown; result?: { type?: string }; error?: unknown };
type Incoming = { id?: unknown; jsonrpc?: unknown; method?: unknown; params?: { path?: unknown } };
type CallId = string | number;
type JsonRpc = '2.0' | undefined;

export interface GuardHooks<TRequest> {
  /**
   * A call to a procedure that does not exist: the error to answer (NOT_FOUND, or
   * TOO_MANY_REQUESTS once the address is over its per-address limit).
   */
  refuseUnknown(path: string, request: TRequest): Promise<AppError>;
  isKnownProcedure(path: string): boolean;
  /** The `socket` hop of each live event frame (from the feed having it until its frame is made here). */
  eventHop?: ApiMetrics['eventHop'];
  /** The connection has ended (whatever ended it); called once. */
  closed?(guard: ConnectionGuard<TRequest>): void;
}

/** tRPC's keep-alive: a `PING` after `pingMs` without a frame from the client, closed when nothing comes `pongWaitMs` after it. */
export interface KeepAlive {
  pingMs: number;
  pongWaitMs: number;
}

export interface GuardedHandlerOptions<TRouter extends AnyRouter, TRequest> {
  router: TRouter;
  limits: WsLimits;
  hooks: GuardHooks<TRequest>;
  keepAlive?: KeepAlive | undefined;
  onError?: ((opts: { error: TRPCError; path: string | undefined; type: TRPCProcedureType | 'unknown' }) => void) | undefined;
  /**
   * What the connection keeps of its upgrade request, taken at once: the request itself (its
   * headers, its raw header list, its stream state) is let go.
   */
  describe: (req: IncomingMessage) => TRequest;
  /**
   * Once per connection, as tRPC's `createContext` is (at once, or when the connection params
   * arrive with `?connectionParams=1`): what the connection keeps from then on, in place of what
   * `describe` took. A failure is the connection's (answered with id null, then closed).
   */
  connect: (opts: {
    request: TRequest;
    connectionParams: Record<string, string | undefined> | null;
    guard: ConnectionGuard<TRequest>;
  }) => TRequest | Promise<TRequest>;
  /**
   * The context of one call, made from what the connection keeps (cheap: a connection holds
   * its small request info, not a context with every dependency in it, for its whole life).
   */
  context: (request: TRequest) => inferRouterContext<TRouter>;
}

/** The connection a WebSocket belongs to (a property, not a closure per listener). */
const kGuard = Symbol('parley.connection');
type Guarded = WebSocket & { [kGuard]: ConnectionGuard<unknown> };

// The socket's listeners: one function for every connection, `this` being the socket.
function onSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as Guarded)[kGuard].receive(data, isBinary);
}
function onSocketClose(this: WebSocket): void {
  (this as Guarded)[kGuard].ended();
}
function onSocketError(this: WebSocket, cause: Error): void {
  (this as Guarded)[kGuard].failed(cause);
}

/**
 * One WebSocket connection speaking tRPC v11's WebSocket protocol (what `@trpc/client`'s
 * `wsLink` and `@parley/client` speak: connection params, queries, mutations, subscriptions
 * with `started`/`stopped`, `subscription.stop`, `PING`/`PONG`, errors shaped by the router's
 * formatter), with the connection's bounds in front of the procedures: it sees every call
 * before a procedure does and every answer before it is sent, so it knows what is in flight,
 * what each answer settles and how much the socket holds. Procedures are called as tRPC's own
 * handler calls them (`callTRPCProcedure`).
 *
 * It replaces `@trpc/server/adapters/ws`'s handler for memory: that one keeps the upgrade
 * request (its headers) and a context for the connection's life, a closure per listener and
 * two timers for the keep-alive, and per idle subscription an AbortController with its
 * AbortSignal, a race of two promise proxies and a disposable stack: 14 KB of heap per
 * connection with one subscription that does nothing (3 KB of it the socket itself), before
 * any of Parley's own state. Here an idle connection is this object (the socket's listeners are
 * shared, the keep-alive is a member of the node's {@link secondsWheel}) and its small request
 * info; a subscription is a {@link Subscription} with a {@link StopSignal}, waiting on its
 * stream's next value.
 */
export class ConnectionGuard<TRequest = unknown> implements WheelMember {
  /** The account this connection is counted against (set by the host, for its per-user bound). */
  account: string | undefined;
  /** What the connection keeps of its request: `describe`'s, then `connect`'s. */
  request: TRequest;
  /** `connect` under way; `refused`: it failed (every call is answered with its error). */
  private connecting: Promise<void> | undefined;
  private refused: TRPCError | undefined;
  private awaitingParams: boolean;
  /** Ids of queries and mutations not answered yet (none: no set). */
  private inFlight: Set<unknown> | undefined;
  /** Subscriptions admitted and not ended, started or not (none: no array). */
  private subscriptions: Subscription[] | undefined;
  private paused = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private waiters: (() => void)[] | undefined;
  private closed = false;
  /** Keep-alive: when the client was last heard from, and when the unanswered ping went (0: none). */
  private heardAt: number;
  private pingedAt = 0;

  constructor(
    private readonly ws: WebSocket,
    request: TRequest,
    private readonly opts: GuardedHandlerOptions<AnyRouter, TRequest>,
    awaitConnectionParams: boolean,
  ) {
    this.request = request;
    (ws as Guarded)[kGuard] = this as ConnectionGuard<unknown>;
    ws.on('message', onSocketMessage);
    // 'close' comes once: a plain listener (`once` would wrap it in two objects per socket).
    ws.on('close', onSocketClose);
    ws.on('error', onSocketError);
    this.heardAt = secondsWheel.clock();
    if (opts.keepAlive) secondsWheel.add(this, this.heardAt + opts.keepAlive.pingMs);
    this.awaitingParams = awaitConnectionParams;
    if (!awaitConnectionParams) this.beginConnect(() => null);
  }

  get socket(): WebSocket {
    return this.ws;
  }

  /** The connection's {@link ConnectionGuard.waitDrained}, for a request context (`RequestInfo.drained`). */
  get drained(): () => Promise<void> {
    return this.waitDrained.bind(this);
  }

  /** Resolves when the socket holds less than the high-water mark (or is gone). */
  waitDrained(): Promise<void> {
    if (this.closed || this.ws.bufferedAmount <= this.opts.limits.highWaterBytes) return Promise.resolve();
    return new Promise((resolve) => {
      (this.waiters ??= []).push(resolve);
      this.startTimer();
    });
  }

  // ---------------------------------------------------------------- the socket's events

  /** A frame from the client. */
  receive(data: RawData, isBinary: boolean): void {
    this.heardAt = secondsWheel.clock();
    if (!Buffer.isBuffer(data)) {
      const error = new TRPCError({ code: 'UNPROCESSABLE_CONTENT', message: 'Unexpected WebSocket message format' });
      this.respond({ id: null, error: this.shape(error, 'unknown', undefined, undefined) });
      return;
    }
    const text = isBinary ? undefined : data.toString('utf8');
    if (text === 'PONG') return;
    if (text === 'PING') {
      this.ws.send('PONG');
      return;
    }
    if (this.awaitingParams) {
      // The first frame of a connection opened with `?connectionParams=1` carries them.
      this.awaitingParams = false;
      this.beginConnect(() => {
        let message: unknown;
        try {
          if (text === undefined) throw new Error('Parley speaks JSON in text frames.');
          message = JSON.parse(text);
          if (!isObject(message)) throw new Error('Message was not an object');
        } catch (cause) {
          throw new TRPCError({ code: 'PARSE_ERROR', message: 'Malformed TRPCConnectionParamsMessage', cause });
        }
        return parseConnectionParamsFromUnknown(message.data);
      });
      return;
    }
    let calls: TRPCClientOutgoingMessage[];
    try {
      const transformer = this.opts.router._def._config.transformer;
      calls = this.decode(text).map((raw) => parseTRPCMessage(raw, transformer));
    } catch (cause) {
      const error = new TRPCError({ code: 'PARSE_ERROR', cause });
      this.respond({ id: null, error: this.shape(error, 'unknown', undefined, undefined) });
      return;
    }
    calls.forEach((call, index) => this.handle(call, index));
  }

  /** The socket has closed: every started subscription is told to stop. */
  ended(): void {
    this.closed = true;
    secondsWheel.delete(this);
    this.stopTimer();
    this.wakeWaiters();
    const subscriptions = this.subscriptions;
    this.subscriptions = undefined;
    if (subscriptions) for (const subscription of subscriptions) subscription.stop();
    this.opts.hooks.closed?.(this);
  }

  failed(cause: Error): void {
    this.reportError(getTRPCErrorFromUnknown(cause), undefined, 'unknown');
  }

  /** Keep-alive, from the node's wheel: ping a quiet client, drop one that did not answer. */
  onWheel(now: number): number | undefined {
    const keepAlive = this.opts.keepAlive;
    if (this.closed || !keepAlive) return undefined;
    if (this.pingedAt !== 0) {
      if (this.heardAt < this.pingedAt) {
        if (now - this.pingedAt < keepAlive.pongWaitMs) return this.pingedAt + keepAlive.pongWaitMs;
        this.ws.terminate();
        return undefined;
      }
      // Anything the client sent since counts as its answer, as with tRPC's handler.
      this.pingedAt = 0;
    }
    if (now - this.heardAt < keepAlive.pingMs) return this.heardAt + keepAlive.pingMs;
    this.ws.send('PING');
    this.pingedAt = now;
    return now + keepAlive.pongWaitMs;
  }

  // ---------------------------------------------------------------- calls

  private beginConnect(connectionParams: () => Record<string, string | undefined> | null): void {
    this.connecting = this.connect(connectionParams).then(() => {
      this.connecting = undefined;
    });
  }

  private async connect(connectionParams: () => Record<string, string | undefined> | null): Promise<void> {
    try {
      this.request = await this.opts.connect({ request: this.request, connectionParams: connectionParams(), guard: this });
    } catch (cause) {
      const error = getTRPCErrorFromUnknown(cause);
      this.refused = error;
      this.reportError(error, undefined, 'unknown');
      this.respond({ id: null, error: this.shape(error, 'unknown', undefined, undefined) });
      setImmediate(() => this.ws.close());
    }
  }

  private handle(call: TRPCClientOutgoingMessage, batchIndex: number): void {
    const { id, jsonrpc } = call;
    if (id === null) {
      const error = getTRPCErrorFromUnknown(new TRPCError({ code: 'PARSE_ERROR', message: '`id` is required' }));
      this.reportError(error, undefined, 'unknown');
      this.respond({ id, jsonrpc, error: this.shape(error, 'unknown', undefined, undefined) });
      return;
    }
    if (call.method === 'subscription.stop') {
      this.subscription(id)?.stop();
      return;
    }
    const { path, lastEventId } = call.params;
    let { input } = call.params;
    if (lastEventId !== undefined) {
      if (isObject(input)) input = { ...input, lastEventId };
      else input ??= { lastEventId };
    }
    void this.call(id, jsonrpc, call.method, path, input, batchIndex);
  }

  private async call(id: CallId, jsonrpc: JsonRpc, type: TRPCProcedureType, path: string, input: unknown, batchIndex: number): Promise<void> {
    try {
      await this.connecting;
      if (this.refused) throw this.refused;
      const subscription =
        type === 'subscription' ? (this.subscription(id) ?? new Subscription(this as ConnectionGuard<unknown>, id, jsonrpc, path)) : undefined;
      const result: unknown = await callTRPCProcedure({
        router: this.opts.router,
        path,
        getRawInput: () => Promise.resolve(input),
        ctx: this.opts.context(this.request),
        type,
        // Never aborted for a query or a mutation (as with tRPC's handler); a subscription's is its stop.
        signal: subscription?.signal ?? new StopSignal(),
        batchIndex,
      });
      const iterable = isAsyncIterable(result) || isObservable(result);
      if (!subscription) {
        if (iterable) {
          throw new TRPCError({
            code: 'UNSUPPORTED_MEDIA_TYPE',
            message: `Cannot return an async iterable or observable from a ${type} procedure with WebSockets`,
          });
        }
        this.respond({ id, jsonrpc, result: { type: 'data', data: result } });
        return;
      }
      if (!iterable) throw new TRPCError({ message: `Subscription ${path} did not return an observable or a AsyncGenerator`, code: 'INTERNAL_SERVER_ERROR' });
      if (this.ws.readyState !== WS_OPEN) return;
      if (subscription.started) throw new TRPCError({ message: `Duplicate id ${id}`, code: 'BAD_REQUEST' });
      subscription.start(result);
      this.respond({ id, jsonrpc, result: { type: 'started' } });
    } catch (cause) {
      const error = getTRPCErrorFromUnknown(cause);
      this.reportError(error, path, type);
      this.respond({ id, jsonrpc, error: this.shape(error, type, path, input) });
    }
  }

  private subscription(id: unknown): Subscription | undefined {
    return this.subscriptions?.find((s) => s.id === id);
  }

  /** @internal For {@link Subscription}. */
  reportError(error: TRPCError, path: string | undefined, type: TRPCProcedureType | 'unknown'): void {
    this.opts.onError?.({ error, path, type });
  }

  /** @internal For {@link Subscription}: it ended with an error of its own (not its stream's). */
  forget(id: unknown): void {
    const subscriptions = this.subscriptions;
    const i = subscriptions?.findIndex((s) => s.id === id) ?? -1;
    if (i < 0) return;
    subscriptions!.splice(i, 1);
    if (subscriptions!.length === 0) this.subscriptions = undefined;
  }

  /** @internal The error's shape on the wire (the router's error formatter). */
  shape(error: TRPCError, type: TRPCProcedureType | 'unknown', path: string | undefined, input: unknown) {
    return getErrorShape({ config: this.opts.router._def._config, error, type, path, input, ctx: undefined });
  }

  /** @internal An answer going out: it settles its call's slot, then the socket's bounds are checked. */
  respond(message: TRPCResponseMessage | { id: null; jsonrpc?: JsonRpc; error: unknown }): void {
    if (this.closed) return;
    const config = this.opts.router._def._config;
    // Without a transformer (Parley has none) the response goes as it is: no copies of it per frame.
    const data = (config.transformer === defaultTransformer ? message : transformTRPCResponse(config, message as TRPCResponseMessage)) as Outgoing;
    this.settle(data);
    this.checkBuffer();
    if (this.opts.hooks.eventHop) this.observeEventHop(data);
    if (!this.closed) corkUntilTurnEnds(this.ws);
    // A live event's JSON (and its bytes) is made once per node, not once per subscriber (event.wire.ts); always a text frame.
    this.ws.send(encodeFrame(data), TEXT_FRAME);
  }

  // ---------------------------------------------------------------- the bounds

  /** The client's frame as calls: each admitted, or refused here; too many in one frame close the connection. */
  private decode(text: string | undefined): unknown[] {
    if (text === undefined) throw new Error('Parley speaks JSON in text frames.');
    const parsed: unknown = JSON.parse(text);
    const calls = Array.isArray(parsed) ? parsed : [parsed];
    if (calls.length > this.opts.limits.maxCallsPerFrame) {
      this.violate(`At most ${this.opts.limits.maxCallsPerFrame} calls in one message.`);
      return [];
    }
    return calls.filter((call) => this.admit(call as Incoming));
  }

  private observeEventHop(frame: Outgoing): void {
    const event = (frame.result as { data?: { data?: unknown } } | undefined)?.data?.data;
    const received = event !== null && typeof event === 'object' ? feedReceivedAt(event) : undefined;
    if (received !== undefined) this.opts.hooks.eventHop?.('socket', (Date.now() - received) / 1000);
  }

  /** Whether the procedure gets the call; a refused one is answered here. */
  private admit(call: Incoming): boolean {
    if (call === null || typeof call !== 'object') return true; // answered as a parse error
    const { id, method } = call;
    if (method === 'subscription.stop') return true;
    const path = typeof call.params?.path === 'string' ? call.params.path : undefined;
    if (id === undefined || id === null || path === undefined) return true;
    const { limits, hooks } = this.opts;
    if (this.inFlight?.has(id) || this.subscription(id)) {
      this.refuse(call, new TRPCError({ code: 'BAD_REQUEST', message: `A call with id ${JSON.stringify(id)} is already running on this connection.` }));
      return false;
    }
    if (method === 'subscription') {
      if ((this.subscriptions?.length ?? 0) >= limits.maxSubscriptions) {
        this.refuse(call, tooMany(`At most ${limits.maxSubscriptions} subscriptions on one connection.`));
        return false;
      }
    } else if ((this.inFlight?.size ?? 0) >= limits.maxInFlight) {
      this.refuse(call, tooMany(`At most ${limits.maxInFlight} calls waiting for an answer on one connection.`));
      return false;
    }
    if (!hooks.isKnownProcedure(path)) {
      (this.inFlight ??= new Set()).add(id);
      void hooks.refuseUnknown(path, this.request).then((error) => {
        this.release(id);
        this.refuse(call, new TRPCError({ code: error.code, message: error.message, cause: error }));
      });
      return false;
    }
    if (method === 'subscription') {
      const subscription = new Subscription(this as ConnectionGuard<unknown>, id, call.jsonrpc as JsonRpc, path);
      // A literal of one, not a push onto an empty array (that would reserve room for 17).
      if (this.subscriptions) this.subscriptions.push(subscription);
      else this.subscriptions = [subscription];
    } else (this.inFlight ??= new Set()).add(id);
    return true;
  }

  /** A query's or mutation's slot is free; true if it was taken. */
  private release(id: unknown): boolean {
    if (!this.inFlight?.delete(id)) return false;
    if (this.inFlight.size === 0) this.inFlight = undefined;
    return true;
  }

  /** An answer going out: a query's or mutation's answer, or a subscription's end, frees its slot. */
  private settle(message: Outgoing): void {
    if (message === null || typeof message !== 'object' || message.id === undefined || message.id === null) return;
    const { id } = message;
    // A query or mutation has exactly one answer.
    if (this.release(id)) return;
    if (message.error !== undefined || message.result?.type === 'stopped') this.forget(id);
  }

  private refuse(call: Incoming, error: TRPCError): void {
    if (this.closed || this.ws.readyState !== WS_OPEN) return;
    const type = call.method === 'mutation' || call.method === 'subscription' ? call.method : 'query';
    const path = typeof call.params?.path === 'string' ? call.params.path : undefined;
    const shape = getErrorShape({ config: this.opts.router._def._config, error, type, path, input: undefined, ctx: undefined });
    const response = { id: call.id as string | number, ...(call.jsonrpc === '2.0' ? { jsonrpc: '2.0' as const } : {}), error: shape };
    this.ws.send(JSON.stringify(transformTRPCResponse(this.opts.router._def._config, response)));
    this.checkBuffer();
  }

  /** Past the hard bound the connection goes; past the high-water mark the node stops reading it. */
  private checkBuffer(): void {
    if (this.closed) return;
    const buffered = this.ws.bufferedAmount;
    if (buffered > this.opts.limits.maxBufferedBytes) {
      // close() would queue its frame behind what the client is not reading: drop it now.
      this.closed = true;
      this.ws.terminate();
      return;
    }
    if (buffered > this.opts.limits.highWaterBytes && !this.paused) {
      this.paused = true;
      this.ws.pause();
      this.startTimer();
    }
  }

  private startTimer(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      if (this.closed || this.ws.bufferedAmount <= this.opts.limits.highWaterBytes) {
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
    this.waiters = undefined;
    if (waiters) for (const wake of waiters) wake();
  }

  private violate(reason: string): void {
    if (this.closed) return;
    this.ws.close(WS_POLICY_VIOLATION, reason);
    // A client that does not read will not answer the close handshake either.
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }
}

type AbortListener = ((event: Event) => unknown) | { handleEvent(event: Event): unknown };

/**
 * What a subscription's procedure gets as its `signal`: an AbortSignal as far as a stream uses
 * one (`aborted`, `reason`, `throwIfAborted()`, `onabort`, `abort` listeners, functions or
 * `handleEvent` objects), aborted once, when the subscription stops. Node's own AbortSignal is
 * an EventTarget given its prototype after it is made, with a hidden class and a listener map
 * of its own: about 770 bytes before its first listener, 1 KB with it, per idle subscription.
 * It is not an EventTarget (no `AbortSignal.any()` over it, no `signal` option of Node APIs that
 * check for a real one); Parley's streams only read `aborted` and listen for `abort`.
 */
export class StopSignal {
  aborted = false;
  reason: unknown = undefined;
  onabort: ((event: Event) => unknown) | null = null;
  private listeners: AbortListener | AbortListener[] | undefined;

  addEventListener(type: string, listener: AbortListener | null): void {
    // `abort` happens once: a listener added after it is never called (as with AbortSignal), and `once` changes nothing.
    if (type !== 'abort' || !listener || this.aborted) return;
    const listeners = this.listeners;
    if (listeners === undefined) this.listeners = listener;
    else if (Array.isArray(listeners)) {
      if (!listeners.includes(listener)) listeners.push(listener);
    } else if (listeners !== listener) this.listeners = [listeners, listener];
  }

  removeEventListener(type: string, listener: AbortListener | null): void {
    if (type !== 'abort' || !listener) return;
    const listeners = this.listeners;
    if (listeners === listener) this.listeners = undefined;
    else if (Array.isArray(listeners)) {
      const i = listeners.indexOf(listener);
      if (i >= 0) listeners.splice(i, 1);
    }
  }

  dispatchEvent(event: Event): boolean {
    if (event.type !== 'abort') return true;
    const listeners = this.listeners;
    const all = listeners === undefined ? [] : Array.isArray(listeners) ? [...listeners] : [listeners];
    for (const listener of this.onabort ? [this.onabort, ...all] : all) {
      try {
        if (typeof listener === 'function') listener.call(this, event);
        else listener.handleEvent(event);
      } catch (error) {
        // As an EventTarget does: a listener's error does not stop the others, and is not swallowed.
        process.nextTick(() => {
          throw error;
        });
      }
    }
    return true;
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  /** @internal */
  abort(reason: unknown = new DOMException('This operation was aborted', 'AbortError')): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.dispatchEvent(new Event('abort'));
    this.listeners = undefined;
    this.onabort = null;
  }
}

/**
 * One subscription of a connection, from its admission: its iterator's values go out as
 * `data` frames (a tracked one with its id), its end as `stopped`, its failure as an error
 * (then `stopped`, as tRPC's handler does). Stopped (`subscription.stop`, the socket closing)
 * through its signal once started (a stop before that is ignored, as by tRPC's handler): the
 * stream ends itself, and whatever it yields after that is not sent. Between two values it is
 * this object and one pending `next()` with two bound callbacks, not a suspended async function.
 */
class Subscription {
  readonly signal = new StopSignal();
  started = false;
  private iterator: AsyncIterator<unknown> | undefined;
  private readonly onValue: (result: IteratorResult<unknown>) => void;
  private readonly onFailure: (cause: unknown) => void;

  constructor(
    private readonly guard: ConnectionGuard<unknown>,
    readonly id: unknown,
    private readonly jsonrpc: JsonRpc,
    private readonly path: string,
  ) {
    this.onValue = this.value.bind(this);
    this.onFailure = this.failure.bind(this);
  }

  start(iterable: unknown): void {
    this.started = true;
    try {
      this.iterator = isObservable(iterable)
        ? observableToAsyncIterable(iterable, this.signal as unknown as AbortSignal)[Symbol.asyncIterator]()
        : (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator]();
      this.pull();
    } catch (cause) {
      this.crash(cause);
    }
  }

  stop(): void {
    if (this.started) this.signal.abort();
  }

  private pull(): void {
    this.iterator!.next().then(this.onValue, this.onFailure);
  }

  private value(result: IteratorResult<unknown>): void {
    try {
      if (this.signal.aborted || result.done) {
        this.end();
        return;
      }
      const value = result.value;
      const data: { type: 'data'; data: unknown; id?: string } = { type: 'data', data: value };
      if (isTrackedEnvelope(value)) {
        const [trackedId, trackedData] = value;
        data.id = trackedId;
        data.data = { id: trackedId, data: trackedData };
      }
      this.guard.respond({ id: this.id as CallId, jsonrpc: this.jsonrpc, result: data });
      this.pull();
    } catch (cause) {
      this.crash(cause);
    }
  }

  private failure(cause: unknown): void {
    try {
      if (!this.signal.aborted) {
        const error = getTRPCErrorFromUnknown(cause);
        this.guard.reportError(error, this.path, 'subscription');
        this.guard.respond({ id: this.id as CallId, jsonrpc: this.jsonrpc, error: this.guard.shape(error, 'subscription', this.path, undefined) });
      }
      this.end();
    } catch (error) {
      this.crash(error);
    }
  }

  /** The stream is over: `stopped`, then the iterator is let go (`return()`). */
  private end(): void {
    this.guard.respond({ id: this.id as CallId, jsonrpc: this.jsonrpc, result: { type: 'stopped' } });
    this.dispose();
  }

  /** Something here failed (not the stream): the subscription ends with an error. */
  private crash(cause: unknown): void {
    this.guard.forget(this.id);
    const error = getTRPCErrorFromUnknown(cause);
    this.guard.reportError(error, this.path, 'subscription');
    this.guard.respond({ id: this.id as CallId, jsonrpc: this.jsonrpc, error: this.guard.shape(error, 'subscription', this.path, undefined) });
    this.signal.abort();
    this.dispose();
  }

  private dispose(): void {
    const iterator = this.iterator;
    this.iterator = undefined;
    if (!iterator?.return) return;
    try {
      iterator.return().then(undefined, (cause: unknown) => this.guard.reportError(getTRPCErrorFromUnknown(cause), this.path, 'subscription'));
    } catch (cause) {
      this.guard.reportError(getTRPCErrorFromUnknown(cause), this.path, 'subscription');
    }
  }
}

function tooMany(message: string): TRPCError {
  return new TRPCError({ code: 'TOO_MANY_REQUESTS', message, cause: new AppError('TOO_MANY_REQUESTS', message, { retryAfterMs: 1000 }) });
}

/** Whether the upgrade asked for connection params (`?connectionParams=1`): then the context waits for the first frame. */
function awaitsConnectionParams(req: IncomingMessage): boolean {
  const query = (req.url ?? '').split('?')[1];
  return query !== undefined && new URLSearchParams(query).get('connectionParams') === '1';
}

/** The connection handler: a {@link ConnectionGuard} per WebSocket. */
export function guardedConnectionHandler<TRouter extends AnyRouter, TRequest>(
  opts: GuardedHandlerOptions<TRouter, TRequest>,
): (ws: WebSocket, req: IncomingMessage) => ConnectionGuard<TRequest> {
  const shared = opts as unknown as GuardedHandlerOptions<AnyRouter, TRequest>;
  return (ws, req) => new ConnectionGuard(ws, shared.describe(req), shared, awaitsConnectionParams(req));
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
