import { MAX_RECONNECT_ATTEMPTS, reconnectDelayMs } from './backoff.ts';
import { Emitter } from './emitter.ts';

export type ConnectionState = 'DISCONNECTED' | 'CONNECTING' | 'CONNECTED' | 'RECONNECTING' | 'FAILED';

/** What carries the subscriptions: a WebSocket, or plain HTTP (server-sent events) where WebSockets cannot be opened. */
export type TransportKind = 'websocket' | 'http';

/**
 * Why the machine opens a transport: `start()`, `retry()`, the network coming back, the backoff
 * after a loss, or the transport itself asking (a draining server; a switch back to the WebSocket).
 */
export type OpenReason = 'start' | 'retry' | 'network' | 'backoff' | 'request';

export interface ConnectionSnapshot {
  readonly state: ConnectionState;
  /** Reconnect attempts since the last successful connection (1 = the first retry). */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** When the next attempt starts (epoch ms), while one is scheduled. */
  readonly nextRetryAt: number | null;
  /** The network as the platform reports it (`navigator.onLine`); always true in Node. */
  readonly online: boolean;
  /** Why the last connection ended or failed, for people. */
  readonly lastError: string | null;
  /** What carries the subscriptions while CONNECTED (otherwise: what did last time). */
  readonly transport: TransportKind;
}

/** One connection attempt (a WebSocket, or plain HTTP for the fallback). The connection makes a new one per attempt. */
export interface Transport {
  /** Resolves when usable; rejects when it could not be opened. */
  readonly opened: Promise<void>;
  /** Which kind it is, once opened (default `websocket`). */
  readonly kind?: TransportKind | undefined;
  /** Called once when it closes or fails for any reason other than our own `close()`. */
  onClose(listener: (reason: string) => void): void;
  /** Called on any inbound traffic, pongs included. */
  onActivity(listener: () => void): void;
  /** Called when the server asks its clients to reconnect (it is draining). */
  onReconnectRequest(listener: () => void): void;
  ping(): void;
  close(): void;
}

/** Where the machine hears about the network: the browser's `online`/`offline` events. */
export interface NetworkStatus {
  isOnline(): boolean;
  subscribe(listener: (online: boolean) => void): () => void;
}

export interface ConnectionOptions<T extends Transport = Transport> {
  openTransport: (reason: OpenReason) => T;
  network?: NetworkStatus | undefined;
  maxAttempts?: number | undefined;
  /** Ping after this long without inbound traffic; below the server's own ping interval. */
  keepAliveIntervalMs?: number | undefined;
  /** …and give the socket up as dead when nothing arrives this long after the ping. */
  keepAliveTimeoutMs?: number | undefined;
  /** An attempt that has not opened by then is given up (a black-holed address never says no). */
  openTimeoutMs?: number | undefined;
  random?: (() => number) | undefined;
  now?: (() => number) | undefined;
}

export const KEEP_ALIVE_INTERVAL_MS = 20_000;
export const KEEP_ALIVE_TIMEOUT_MS = 10_000;
/**
 * Above the HTTP fallback's own 10 s wait for a WebSocket once `/live` answered
 * (transport-fallback.ts), so that rule decides first; well below the minutes a TCP connect to
 * a vanished host can take.
 */
export const OPEN_TIMEOUT_MS = 15_000;

/** The browser's network events where there are any; otherwise always online. */
export function platformNetworkStatus(): NetworkStatus {
  // Through globalThis: this module also runs in Node, where there is no window or navigator.
  const g = globalThis as {
    addEventListener?: (type: string, listener: () => void) => void;
    removeEventListener?: (type: string, listener: () => void) => void;
    navigator?: { onLine?: boolean };
  };
  return {
    isOnline: () => (typeof g.navigator?.onLine === 'boolean' ? g.navigator.onLine : true),
    subscribe(listener) {
      if (typeof g.addEventListener !== 'function' || typeof g.removeEventListener !== 'function') return () => {};
      const online = () => listener(true);
      const offline = () => listener(false);
      g.addEventListener('online', online);
      g.addEventListener('offline', offline);
      return () => {
        g.removeEventListener?.('online', online);
        g.removeEventListener?.('offline', offline);
      };
    },
  };
}

/** A {@link NetworkStatus} its owner switches: `set(false)` is the `offline` event, `set(true)` `online`. */
export interface ManualNetwork extends NetworkStatus {
  set(online: boolean): void;
}

/**
 * A network state a program decides itself rather than the platform: a Node program that
 * knows its link is down, or a test that takes the network away (the socket closes at once
 * and the outbox holds its sends, as in a browser going offline).
 */
export function manualNetwork(online = true): ManualNetwork {
  let current = online;
  const listeners = new Set<(online: boolean) => void>();
  return {
    isOnline: () => current,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(next) {
      if (next === current) return;
      current = next;
      for (const listener of [...listeners]) listener(next);
    },
  };
}

/**
 * The connection state machine (seed 004, DESIGN.md "Client"):
 * `DISCONNECTED → CONNECTING → CONNECTED`, `RECONNECTING` after a loss with backoff
 * `min(1000·2^attempt + random(0..1000), 30000)` ms, `FAILED` after `maxAttempts` (10), from
 * which only `retry()` (or the network coming back) starts again. Offline pauses it (no
 * attempts are burnt on a network that is not there); `online` reconnects at once; a server
 * that drains asks for a reconnect, which happens at once; a socket that stops answering pings
 * is given up by keep-alive timeout. What each attempt opens (a WebSocket, or HTTP where
 * WebSockets cannot be opened) is `openTransport`'s choice (`TransportFallback`); the snapshot's
 * `transport` says which one is connected, the states are the same for both.
 *
 * Framework-agnostic: `subscribe`/`getSnapshot` fit React's `useSyncExternalStore`.
 */
export class Connection<T extends Transport = Transport> {
  readonly #opts: Required<Omit<ConnectionOptions<T>, 'network'>> & { network: NetworkStatus };
  readonly #emitter = new Emitter();
  readonly #openListeners = new Set<(transport: T) => void>();
  #snapshot: ConnectionSnapshot;
  #transport: T | null = null;
  #started = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #pongTimer: ReturnType<typeof setTimeout> | undefined;
  #openTimer: ReturnType<typeof setTimeout> | undefined;
  #offNetwork: () => void;

  constructor(options: ConnectionOptions<T>) {
    this.#opts = {
      openTransport: options.openTransport,
      network: options.network ?? platformNetworkStatus(),
      maxAttempts: options.maxAttempts ?? MAX_RECONNECT_ATTEMPTS,
      keepAliveIntervalMs: options.keepAliveIntervalMs ?? KEEP_ALIVE_INTERVAL_MS,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS,
      openTimeoutMs: options.openTimeoutMs ?? OPEN_TIMEOUT_MS,
      random: options.random ?? Math.random,
      now: options.now ?? Date.now,
    };
    this.#snapshot = {
      state: 'DISCONNECTED',
      attempt: 0,
      maxAttempts: this.#opts.maxAttempts,
      nextRetryAt: null,
      online: this.#opts.network.isOnline(),
      lastError: null,
      transport: 'websocket',
    };
    this.#offNetwork = this.#opts.network.subscribe((online) => this.#onNetwork(online));
  }

  getSnapshot = (): ConnectionSnapshot => this.#snapshot;

  subscribe = (listener: () => void): (() => void) => this.#emitter.on(listener);

  /** The open transport while CONNECTED. */
  get transport(): T | null {
    return this.#snapshot.state === 'CONNECTED' ? this.#transport : null;
  }

  /** Called with each newly opened transport (and at once with the current one, if any). */
  onOpen(listener: (transport: T) => void): () => void {
    this.#openListeners.add(listener);
    const current = this.transport;
    if (current) listener(current);
    return () => this.#openListeners.delete(listener);
  }

  /** Starts connecting (idempotent). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    if (!this.#snapshot.online) {
      this.#set({ state: 'DISCONNECTED', lastError: 'You are offline.' });
      return;
    }
    this.#connect('CONNECTING', 'start');
  }

  /** Connects now, forgetting the attempts so far: the "Retry now" button. */
  retry(): void {
    if (!this.#started) return this.start();
    if (this.#snapshot.state === 'CONNECTED' || this.#snapshot.state === 'CONNECTING') return;
    this.#clearRetry();
    this.#set({ attempt: 0 });
    this.#connect('RECONNECTING', 'retry');
  }

  /** Closes the connection and stays disconnected until `start()`. */
  stop(): void {
    this.#started = false;
    this.#clearRetry();
    this.#drop();
    this.#set({ state: 'DISCONNECTED', attempt: 0, nextRetryAt: null });
  }

  close(): void {
    this.stop();
    this.#offNetwork();
    this.#openListeners.clear();
  }

  #connect(state: 'CONNECTING' | 'RECONNECTING', reason: OpenReason): void {
    this.#set({ state, nextRetryAt: null });
    let transport: T;
    try {
      transport = this.#opts.openTransport(reason);
    } catch (error) {
      this.#lost(error instanceof Error ? error.message : String(error));
      return;
    }
    this.#transport = transport;
    const current = () => this.#transport === transport;
    transport.onClose((reason) => {
      if (!current()) return;
      this.#transport = null;
      this.#stopKeepAlive();
      this.#lost(reason);
    });
    transport.onActivity(() => {
      if (current()) this.#activity();
    });
    transport.onReconnectRequest(() => {
      if (!current()) return;
      this.#drop();
      this.#connect('RECONNECTING', 'request');
    });
    clearTimeout(this.#openTimer);
    const openTimer = setTimeout(() => {
      if (!current()) return;
      this.#drop();
      this.#lost(`The server did not answer within ${Math.round(this.#opts.openTimeoutMs / 1000)} s.`);
    }, this.#opts.openTimeoutMs);
    this.#openTimer = openTimer;
    const settled = () => clearTimeout(openTimer);
    transport.opened.then(settled, settled);
    transport.opened.then(
      () => {
        if (!current()) return;
        this.#set({ state: 'CONNECTED', attempt: 0, nextRetryAt: null, lastError: null, transport: transport.kind ?? 'websocket' });
        this.#activity();
        for (const listener of [...this.#openListeners]) listener(transport);
      },
      (error: unknown) => {
        if (!current()) return;
        this.#transport = null;
        transport.close();
        this.#lost(error instanceof Error ? error.message : String(error));
      },
    );
  }

  #lost(reason: string): void {
    if (!this.#started) return;
    if (!this.#snapshot.online) {
      this.#set({ state: 'DISCONNECTED', nextRetryAt: null, lastError: 'You are offline.' });
      return;
    }
    const attempt = this.#snapshot.attempt;
    if (attempt >= this.#opts.maxAttempts) {
      this.#set({ state: 'FAILED', nextRetryAt: null, lastError: reason });
      return;
    }
    const delay = reconnectDelayMs(attempt, this.#opts.random);
    this.#set({ state: 'RECONNECTING', attempt: attempt + 1, nextRetryAt: this.#opts.now() + delay, lastError: reason });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#connect('RECONNECTING', 'backoff');
    }, delay);
  }

  #onNetwork(online: boolean): void {
    this.#set({ online });
    if (!this.#started) return;
    if (!online) {
      // Paused: a socket on a vanished network only dies slowly, and attempts would be wasted.
      this.#clearRetry();
      this.#drop();
      this.#set({ state: 'DISCONNECTED', nextRetryAt: null, lastError: 'You are offline.' });
      return;
    }
    const { state } = this.#snapshot;
    if (state === 'CONNECTED' || state === 'CONNECTING') return;
    this.#clearRetry();
    this.#set({ attempt: 0 });
    this.#connect('RECONNECTING', 'network');
  }

  /** Any inbound traffic proves the socket alive: push the next ping out. */
  #activity(): void {
    clearTimeout(this.#pongTimer);
    this.#pongTimer = undefined;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      const transport = this.#transport;
      if (!transport) return;
      transport.ping();
      this.#pongTimer = setTimeout(() => {
        if (this.#transport !== transport) return;
        this.#drop();
        this.#lost('The server stopped answering (keep-alive timeout).');
      }, this.#opts.keepAliveTimeoutMs);
    }, this.#opts.keepAliveIntervalMs);
  }

  #stopKeepAlive(): void {
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#pongTimer);
    this.#idleTimer = this.#pongTimer = undefined;
  }

  /** Closes the current transport without reacting to its close. */
  #drop(): void {
    this.#stopKeepAlive();
    clearTimeout(this.#openTimer);
    const transport = this.#transport;
    this.#transport = null;
    transport?.close();
  }

  #clearRetry(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #set(patch: Partial<ConnectionSnapshot>): void {
    const next = { ...this.#snapshot, ...patch };
    const changed = (Object.keys(patch) as (keyof ConnectionSnapshot)[]).some((k) => next[k] !== this.#snapshot[k]);
    if (!changed) return;
    this.#snapshot = next;
    this.#emitter.emit();
  }
}
