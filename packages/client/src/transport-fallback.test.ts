import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { AnyTRPCRouter } from '@trpc/server';
import { observable, type Observer } from '@trpc/server/observable';
import type { TRPCClientError } from '@trpc/client';
import { Connection, manualNetwork, type ManualNetwork, type TransportKind } from './connection.ts';
import { connectionLink } from './connection-link.ts';
import type { SubscriptionEnvelope, SubscriptionRequest, SubscriptionTransport } from './subscription-transport.ts';
import { TransportFallback, WS_OPEN_TIMEOUT_MS, WS_RETRY_INTERVAL_MS } from './transport-fallback.ts';

type StreamObserver = Observer<SubscriptionEnvelope, TRPCClientError<AnyTRPCRouter>>;

/** A WebSocket or an HTTP transport under the test's control. */
class FakeTransport implements SubscriptionTransport {
  readonly opened: Promise<void>;
  open!: () => void;
  #reject!: (error: Error) => void;
  closedByClient = false;
  readonly subscriptions: { request: SubscriptionRequest; lastEventId: string | undefined; observer: StreamObserver }[] = [];
  readonly #close: ((reason: string) => void)[] = [];
  readonly #activity: (() => void)[] = [];
  constructor(readonly kind: TransportKind) {
    this.opened = new Promise((resolve, reject) => {
      this.open = resolve;
      this.#reject = reject;
    });
    this.opened.catch(() => {});
  }
  /** Fails before it opened (a refused upgrade, an unreachable server). */
  refuse(reason = kindError[this.kind]) {
    for (const l of this.#close) l(reason);
    this.#reject(new Error(reason));
  }
  /** Lost after it opened. */
  lose(reason = 'The connection closed (code 1006).') {
    for (const l of this.#close) l(reason);
  }
  onClose(l: (reason: string) => void) {
    this.#close.push(l);
  }
  onActivity(l: () => void) {
    this.#activity.push(l);
  }
  onReconnectRequest() {}
  /** A healthy server answers the keep-alive's ping (a moment later, as over a network). */
  ping() {
    void Promise.resolve().then(() => {
      for (const l of this.#activity) l();
    });
  }
  close() {
    this.closedByClient = true;
  }
  subscribe(request: SubscriptionRequest, lastEventId: string | undefined) {
    return observable<SubscriptionEnvelope, TRPCClientError<AnyTRPCRouter>>((observer) => {
      this.subscriptions.push({ request, lastEventId, observer });
      observer.next({ result: { type: 'started' } });
      return () => {};
    });
  }
  /** The server sends a tracked event on this transport's latest subscription. */
  event(id: number) {
    this.subscriptions.at(-1)!.observer.next({ result: { type: 'data', id: String(id), data: { id: String(id), data: { id } } } });
  }
}

const kindError: Record<TransportKind, string> = { websocket: 'The connection closed (code 1006).', http: 'Could not reach the server.' };

let sockets: FakeTransport[];
let https: FakeTransport[];
let network: ManualNetwork;
let conn: Connection<SubscriptionTransport>;
let fallback: TransportFallback;
const flush = () => vi.advanceTimersByTimeAsync(0);
const socket = () => sockets.at(-1)!;
const http = () => https.at(-1)!;
const snapshot = () => conn.getSnapshot();

function make(options: { eventSource?: boolean } = {}) {
  fallback = new TransportFallback({
    openWebSocket: () => {
      const t = new FakeTransport('websocket');
      sockets.push(t);
      return t;
    },
    openHttp:
      options.eventSource === false
        ? null
        : () => {
            const t = new FakeTransport('http');
            https.push(t);
            return t;
          },
  });
  conn = new Connection({ openTransport: fallback.open, network, random: () => 0, now: () => Date.now() });
}

/** Runs `event.onEvent` through the connection link, as `client.trpc` does; records the tracked ids delivered. */
function subscribeEvents() {
  const ids: string[] = [];
  const errors: unknown[] = [];
  const link = connectionLink<AnyTRPCRouter>(conn)({});
  link({
    op: { id: 1, type: 'subscription', path: 'event.onEvent', input: { partitionId: 'acme', lastEventId: null }, context: {}, signal: null },
    next: () => observable(() => {}),
  }).subscribe({
    next: (envelope) => {
      const result = envelope.result as { type?: string; id?: string };
      if (result.id !== undefined) ids.push(result.id);
    },
    error: (error) => errors.push(error),
  });
  return { ids, errors };
}

/** Lets the pending backoff timer fire. */
async function nextAttempt() {
  await vi.advanceTimersByTimeAsync(snapshot().nextRetryAt! - Date.now());
}

/** Two refused WebSockets, then the attempt that asks both: WebSocket refused, HTTP answers. */
async function fallBackToHttp() {
  conn.start();
  socket().refuse();
  await nextAttempt();
  socket().refuse();
  await nextAttempt();
  socket().refuse();
  http().open();
  await flush();
}

beforeEach(() => {
  vi.useFakeTimers();
  sockets = [];
  https = [];
  network = manualNetwork();
});
afterEach(() => {
  conn?.close();
  vi.useRealTimers();
});

describe('the HTTP fallback rule', () => {
  test('two WebSockets refused, then the third attempt also asks HTTP: refused again while HTTP answers → CONNECTED over HTTP', async () => {
    make();
    conn.start();
    socket().refuse();
    await flush();
    expect(snapshot()).toMatchObject({ state: 'RECONNECTING', attempt: 1 });
    await nextAttempt();
    expect(https).toHaveLength(0);
    socket().refuse();
    await nextAttempt();
    // The third attempt: a WebSocket and an HTTP probe together.
    expect(sockets).toHaveLength(3);
    expect(https).toHaveLength(1);
    http().open();
    await flush();
    expect(snapshot().state).toBe('RECONNECTING');
    socket().refuse();
    await flush();
    expect(snapshot()).toMatchObject({ state: 'CONNECTED', transport: 'http', attempt: 0, lastError: null });
    expect(fallback.mode).toBe('http');
  });

  test('a server that is down (WebSocket and HTTP both fail) is no reason to fall back; when it is back the WebSocket wins', async () => {
    make();
    conn.start();
    socket().refuse();
    await nextAttempt();
    socket().refuse();
    for (let attempt = 3; attempt <= 5; attempt++) {
      await nextAttempt();
      http().refuse();
      socket().refuse('Could not reach the server.');
      await flush();
      expect(snapshot()).toMatchObject({ state: 'RECONNECTING', attempt, transport: 'websocket' });
    }
    await nextAttempt();
    // HTTP answers first; the WebSocket opens a moment later: it is the WebSocket.
    http().open();
    await vi.advanceTimersByTimeAsync(500);
    socket().open();
    await flush();
    expect(snapshot()).toMatchObject({ state: 'CONNECTED', transport: 'websocket' });
    expect(http().closedByClient).toBe(true);
    expect(fallback.mode).toBe('websocket');

    // The count starts over: the next loss tries a WebSocket alone.
    socket().lose();
    await nextAttempt();
    expect(https).toHaveLength(4);
  });

  test('a WebSocket still not open 10 s after HTTP answered counts as refused (a network that swallows upgrades)', async () => {
    make();
    conn.start();
    socket().refuse();
    await nextAttempt();
    socket().refuse();
    await nextAttempt();
    http().open();
    await vi.advanceTimersByTimeAsync(WS_OPEN_TIMEOUT_MS - 1);
    expect(snapshot().state).toBe('RECONNECTING');
    await vi.advanceTimersByTimeAsync(1);
    expect(snapshot()).toMatchObject({ state: 'CONNECTED', transport: 'http' });
    expect(socket().closedByClient).toBe(true);
  });

  test('without an EventSource there is no fallback: WebSockets only, as before', async () => {
    make({ eventSource: false });
    conn.start();
    for (let i = 0; i < 5; i++) {
      socket().refuse();
      await nextAttempt();
    }
    expect(https).toHaveLength(0);
    socket().open();
    await flush();
    expect(snapshot()).toMatchObject({ state: 'CONNECTED', transport: 'websocket' });
  });
});

describe('on HTTP, and the way back', () => {
  test('subscriptions run on HTTP from where they were; a lost HTTP transport reconnects over HTTP with backoff and resumes after the last id', async () => {
    make();
    const events = subscribeEvents();
    await fallBackToHttp();
    expect(http().subscriptions.map((s) => s.lastEventId)).toEqual([undefined]);
    http().event(1);
    http().event(2);
    const first = http();
    first.lose('The event stream was interrupted.');
    expect(snapshot()).toMatchObject({ state: 'RECONNECTING', attempt: 1, lastError: 'The event stream was interrupted.' });
    const socketsBefore = sockets.length;
    await nextAttempt();
    expect(sockets).toHaveLength(socketsBefore);
    expect(https).toHaveLength(2);
    http().open();
    await flush();
    expect(snapshot()).toMatchObject({ state: 'CONNECTED', transport: 'http' });
    expect(http().subscriptions.map((s) => s.lastEventId)).toEqual(['2']);
    http().event(3);
    expect(events.ids).toEqual(['1', '2', '3']);
    expect(events.errors).toEqual([]);
  });

  test('every 3 minutes a WebSocket is tried in the background; refused, it stays on HTTP; open, it becomes the transport at once, from the last id', async () => {
    make();
    const events = subscribeEvents();
    await fallBackToHttp();
    const onHttp = http();
    onHttp.event(1);
    onHttp.event(2);
    const socketsBefore = sockets.length;

    await vi.advanceTimersByTimeAsync(WS_RETRY_INTERVAL_MS - 1);
    expect(sockets).toHaveLength(socketsBefore);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(socketsBefore + 1);
    socket().refuse();
    await flush();
    expect(snapshot()).toMatchObject({ state: 'CONNECTED', transport: 'http' });
    onHttp.event(3);

    await vi.advanceTimersByTimeAsync(WS_RETRY_INTERVAL_MS);
    expect(sockets).toHaveLength(socketsBefore + 2);
    const states: string[] = [];
    conn.subscribe(() => states.push(`${snapshot().state}/${snapshot().transport}`));
    socket().open();
    await flush();
    expect(snapshot()).toMatchObject({ state: 'CONNECTED', transport: 'websocket', attempt: 0 });
    expect(states.at(-1)).toBe('CONNECTED/websocket');
    // That very socket, no extra attempt; the HTTP streams are closed; resumed after event 3.
    expect(sockets).toHaveLength(socketsBefore + 2);
    expect(onHttp.closedByClient).toBe(true);
    expect(socket().subscriptions.map((s) => s.lastEventId)).toEqual(['3']);
    socket().event(4);
    expect(events.ids).toEqual(['1', '2', '3', '4']);
    expect(fallback.mode).toBe('websocket');

    // Back on the WebSocket: no more background attempts.
    await vi.advanceTimersByTimeAsync(3 * WS_RETRY_INTERVAL_MS);
    expect(sockets).toHaveLength(socketsBefore + 2);
  });

  test('the network coming back asks both again: where WebSockets work now, it is the WebSocket', async () => {
    make();
    subscribeEvents();
    await fallBackToHttp();
    network.set(false);
    expect(http().closedByClient).toBe(true);
    expect(snapshot()).toMatchObject({ state: 'DISCONNECTED', transport: 'http' });
    network.set(true);
    expect(https).toHaveLength(2);
    http().open();
    socket().open();
    await flush();
    expect(snapshot()).toMatchObject({ state: 'CONNECTED', transport: 'websocket' });
    expect(http().closedByClient).toBe(true);
  });

  test('the network coming back where WebSockets are still refused goes to HTTP again at once', async () => {
    make();
    await fallBackToHttp();
    network.set(false);
    network.set(true);
    socket().refuse();
    http().open();
    await flush();
    expect(snapshot()).toMatchObject({ state: 'CONNECTED', transport: 'http', attempt: 0 });
  });

  test('stopping while on HTTP ends the background attempts', async () => {
    make();
    await fallBackToHttp();
    conn.stop();
    const socketsBefore = sockets.length;
    await vi.advanceTimersByTimeAsync(2 * WS_RETRY_INTERVAL_MS);
    expect(sockets).toHaveLength(socketsBefore);
  });
});
