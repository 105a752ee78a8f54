import type { OpenReason } from './connection.ts';
import type { SubscriptionTransport } from './subscription-transport.ts';

/** WebSocket attempts in a row that fail before `open` before the next ones also ask over plain HTTP. */
export const WS_FAILURES_BEFORE_HTTP = 2;
/** While on HTTP, a WebSocket is tried again this often (and whenever the network comes back or the user retries). */
export const WS_RETRY_INTERVAL_MS = 3 * 60_000;
/** In an attempt that asked both, a WebSocket not open this long after HTTP answered counts as failed. */
export const WS_OPEN_TIMEOUT_MS = 10_000;

export interface TransportFallbackOptions {
  openWebSocket: () => SubscriptionTransport;
  /** Null where there is no EventSource: then there is no fallback, only WebSockets. */
  openHttp: (() => SubscriptionTransport) | null;
  webSocketRetryMs?: number | undefined;
}

/**
 * Decides, per connection attempt, what carries the subscriptions (`Connection`'s
 * `openTransport`). The rule:
 *
 * - WebSocket first. Once 2 attempts in a row have failed before the socket opened, each
 *   further attempt opens a WebSocket and, at the same time, asks the server over plain HTTP
 *   (`GET /live`). A WebSocket that opens wins. One that fails (or is still not open 10 s
 *   after HTTP answered) while HTTP answered means something between here and the server
 *   refuses WebSockets (a proxy that strips `Upgrade`, a corporate network): the attempt
 *   connects over HTTP, and subscriptions run as server-sent events. Both failing is a
 *   server that is down: a failed attempt, and the backoff goes on. So a server restart never
 *   moves clients to HTTP: when it is back, their WebSocket opens.
 * - On HTTP, later attempts (after a loss) stay on HTTP, and a WebSocket is tried in the
 *   background every 3 minutes; when one opens it becomes the transport (the connection
 *   resubscribes on it from the last event ids: nothing lost, nothing twice). The network
 *   coming back or `retry()` asks both again, as above.
 */
export class TransportFallback {
  readonly #opts: TransportFallbackOptions;
  readonly #retryMs: number;
  #mode: 'websocket' | 'http' = 'websocket';
  #wsFailures = 0;
  /** A background WebSocket that opened, handed out by the very next `open()`. */
  #parked: SubscriptionTransport | null = null;

  constructor(options: TransportFallbackOptions) {
    this.#opts = options;
    this.#retryMs = options.webSocketRetryMs ?? WS_RETRY_INTERVAL_MS;
  }

  /** `websocket` until the rule above moves to `http`. */
  get mode(): 'websocket' | 'http' {
    return this.#mode;
  }

  open = (reason: OpenReason): SubscriptionTransport => {
    const parked = this.#parked;
    this.#parked = null;
    if (parked) return parked;
    const openHttp = this.#opts.openHttp;
    if (!openHttp) return this.#webSocket();
    if (this.#mode === 'http') return reason === 'network' || reason === 'retry' ? this.#both(openHttp) : this.#http(openHttp);
    return this.#wsFailures >= WS_FAILURES_BEFORE_HTTP ? this.#both(openHttp) : this.#webSocket();
  };

  /** A WebSocket attempt, counted: failing before `open` is evidence, opening clears it. */
  #webSocket(): SubscriptionTransport {
    let ws: SubscriptionTransport;
    try {
      ws = this.#opts.openWebSocket();
    } catch (error) {
      // No WebSocket implementation at all (Node 20 without `ws`): as refused as it gets.
      this.#wsFailures += 1;
      return failedTransport(error);
    }
    let open = false;
    ws.opened.then(
      () => {
        open = true;
        this.#mode = 'websocket';
        this.#wsFailures = 0;
      },
      () => {},
    );
    // onClose is not called for our own close(): abandoning an attempt is no evidence.
    ws.onClose(() => {
      if (!open) this.#wsFailures += 1;
    });
    return ws;
  }

  /** An HTTP transport that, while open, tries a WebSocket every few minutes and moves to it when it opens. */
  #http(openHttp: () => SubscriptionTransport): SubscriptionTransport {
    const http = openHttp();
    const reconnectListeners: (() => void)[] = [];
    let over = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let probe: SubscriptionTransport | null = null;
    const stop = () => {
      over = true;
      clearTimeout(timer);
      probe?.close();
      probe = null;
    };
    const schedule = () => {
      timer = setTimeout(() => {
        const ws = (probe = this.#webSocket());
        ws.opened.then(
          () => {
            if (over || probe !== ws) return ws.close();
            probe = null;
            stop();
            // The connection drops this transport and asks for the next one at once: it is this socket.
            this.#parked = ws;
            for (const listener of reconnectListeners) listener();
            if (this.#parked === ws) {
              this.#parked = null;
              ws.close();
            }
          },
          () => {
            if (over || probe !== ws) return;
            probe = null;
            schedule();
          },
        );
      }, this.#retryMs);
    };
    http.opened.then(
      () => {
        if (!over) schedule();
      },
      () => {},
    );
    http.onClose(stop);
    return {
      kind: http.kind,
      opened: http.opened,
      onClose: (listener) => http.onClose(listener),
      onActivity: (listener) => http.onActivity(listener),
      onReconnectRequest: (listener) => void reconnectListeners.push(listener),
      ping: () => http.ping(),
      subscribe: (request, lastEventId) => http.subscribe(request, lastEventId),
      close() {
        stop();
        http.close();
      },
    };
  }

  /** A WebSocket and an HTTP transport at once; the WebSocket wins unless it fails while HTTP answered. */
  #both(openHttp: () => SubscriptionTransport): SubscriptionTransport {
    const ws = this.#webSocket();
    const http = this.#http(openHttp);
    const listeners = { close: [] as ((reason: string) => void)[], activity: [] as (() => void)[], reconnect: [] as (() => void)[] };
    let chosen: SubscriptionTransport | null = null;
    let closed = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const opened = new Promise<void>((resolve, reject) => {
      let wsFailure: { error: unknown } | null = null;
      let httpState: 'pending' | 'open' | 'failed' = 'pending';
      const choose = (winner: SubscriptionTransport, loser: SubscriptionTransport) => {
        clearTimeout(timer);
        loser.close();
        chosen = winner;
        if (winner !== ws) this.#mode = 'http';
        for (const listener of listeners.close) winner.onClose(listener);
        for (const listener of listeners.activity) winner.onActivity(listener);
        for (const listener of listeners.reconnect) winner.onReconnectRequest(listener);
        resolve();
      };
      const settled = () => closed || chosen !== null;
      ws.opened.then(
        () => {
          if (!settled()) choose(ws, http);
        },
        (error: unknown) => {
          if (settled()) return;
          wsFailure = { error };
          if (httpState === 'open') choose(http, ws);
          else if (httpState === 'failed') reject(error);
        },
      );
      http.opened.then(
        () => {
          if (settled()) return;
          httpState = 'open';
          if (wsFailure !== null) return choose(http, ws);
          timer = setTimeout(() => {
            if (!settled()) choose(http, ws);
          }, WS_OPEN_TIMEOUT_MS);
        },
        () => {
          if (settled()) return;
          httpState = 'failed';
          if (wsFailure !== null) reject(wsFailure.error);
        },
      );
    });
    opened.catch(() => {});

    return {
      get kind() {
        return chosen?.kind ?? 'websocket';
      },
      get calls() {
        return chosen?.calls ?? null;
      },
      opened,
      onClose: (listener) => (chosen ? chosen.onClose(listener) : void listeners.close.push(listener)),
      onActivity: (listener) => (chosen ? chosen.onActivity(listener) : void listeners.activity.push(listener)),
      onReconnectRequest: (listener) => (chosen ? chosen.onReconnectRequest(listener) : void listeners.reconnect.push(listener)),
      ping: () => chosen?.ping(),
      subscribe(request, lastEventId) {
        if (!chosen) throw new Error('Not open yet.');
        return chosen.subscribe(request, lastEventId);
      },
      close() {
        closed = true;
        clearTimeout(timer);
        ws.close();
        http.close();
      },
    };
  }
}

/** An attempt that failed before it began (its `opened` rejects with the error). */
function failedTransport(error: unknown): SubscriptionTransport {
  const opened = Promise.reject(error instanceof Error ? error : new Error(String(error)));
  opened.catch(() => {});
  return {
    kind: 'websocket',
    opened,
    onClose: () => {},
    onActivity: () => {},
    onReconnectRequest: () => {},
    ping: () => {},
    close: () => {},
    subscribe() {
      throw new Error('Not open.');
    },
  };
}
