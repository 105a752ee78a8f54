import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { MAX_RECONNECT_DELAY_MS, reconnectDelayMs } from './backoff.ts';
import { Connection, type NetworkStatus, type Transport } from './connection.ts';

/** A socket under the test's control: it opens, fails, closes, answers pings only when told. */
class FakeTransport implements Transport {
  readonly opened: Promise<void>;
  open!: () => void;
  fail!: (error: Error) => void;
  closedByClient = false;
  pings = 0;
  readonly #close: ((reason: string) => void)[] = [];
  readonly #activity: (() => void)[] = [];
  readonly #reconnect: (() => void)[] = [];
  constructor() {
    this.opened = new Promise((resolve, reject) => {
      this.open = resolve;
      this.fail = reject;
    });
    this.opened.catch(() => {});
  }
  onClose(l: (reason: string) => void) {
    this.#close.push(l);
  }
  onActivity(l: () => void) {
    this.#activity.push(l);
  }
  onReconnectRequest(l: () => void) {
    this.#reconnect.push(l);
  }
  ping() {
    this.pings += 1;
  }
  close() {
    this.closedByClient = true;
  }
  serverCloses(reason = 'closed') {
    for (const l of this.#close) l(reason);
  }
  message() {
    for (const l of this.#activity) l();
  }
  serverAsksToReconnect() {
    for (const l of this.#reconnect) l();
  }
}

class FakeNetwork implements NetworkStatus {
  online = true;
  readonly #listeners = new Set<(online: boolean) => void>();
  isOnline = () => this.online;
  subscribe(l: (online: boolean) => void) {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }
  set(online: boolean) {
    this.online = online;
    for (const l of this.#listeners) l(online);
  }
}

let transports: FakeTransport[];
let network: FakeNetwork;
let conn: Connection<FakeTransport>;
const latest = () => transports.at(-1)!;
const flush = () => vi.advanceTimersByTimeAsync(0);

function make(opts: { random?: () => number } = {}) {
  conn = new Connection({
    openTransport: () => {
      const t = new FakeTransport();
      transports.push(t);
      return t;
    },
    network,
    random: opts.random ?? (() => 0),
    now: () => Date.now(),
  });
  return conn;
}

beforeEach(() => {
  vi.useFakeTimers();
  transports = [];
  network = new FakeNetwork();
});
afterEach(() => {
  conn?.close();
  vi.useRealTimers();
});

describe('backoff', () => {
  test('is 1000·2^attempt plus 0..1000 ms of jitter, never above 30 s', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const low = reconnectDelayMs(attempt, () => 0);
      const high = reconnectDelayMs(attempt, () => 0.999_999);
      expect(low).toBe(Math.min(1000 * 2 ** attempt, MAX_RECONNECT_DELAY_MS));
      expect(high).toBe(Math.min(1000 * 2 ** attempt + 1000, MAX_RECONNECT_DELAY_MS));
    }
    expect(reconnectDelayMs(20, Math.random)).toBe(30_000);
  });

  test('jitter spreads clients: 200 draws of the first delay take many values within 1000–2000 ms', () => {
    const draws = Array.from({ length: 200 }, () => reconnectDelayMs(0));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...draws)).toBeLessThanOrEqual(2000);
    expect(new Set(draws).size).toBeGreaterThan(50);
  });
});

describe('connection state machine', () => {
  test('DISCONNECTED → CONNECTING → CONNECTED, and open listeners get the transport', async () => {
    make();
    const opened: Transport[] = [];
    conn.onOpen((t) => opened.push(t));
    expect(conn.getSnapshot().state).toBe('DISCONNECTED');
    conn.start();
    expect(conn.getSnapshot().state).toBe('CONNECTING');
    latest().open();
    await flush();
    expect(conn.getSnapshot()).toMatchObject({ state: 'CONNECTED', attempt: 0, nextRetryAt: null, lastError: null });
    expect(opened).toEqual([latest()]);
  });

  test('a lost connection goes RECONNECTING with the backoff delay, then CONNECTED again', async () => {
    make({ random: () => 0.5 });
    conn.start();
    latest().open();
    await flush();
    const start = Date.now();
    latest().serverCloses('The connection closed (code 1006).');
    expect(conn.getSnapshot()).toMatchObject({ state: 'RECONNECTING', attempt: 1, nextRetryAt: start + 1500, lastError: 'The connection closed (code 1006).' });
    await vi.advanceTimersByTimeAsync(1499);
    expect(transports).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(transports).toHaveLength(2);
    latest().open();
    await flush();
    expect(conn.getSnapshot()).toMatchObject({ state: 'CONNECTED', attempt: 0 });
  });

  test('each failed attempt doubles the wait; after 10 the state is FAILED until retry()', async () => {
    make();
    conn.start();
    latest().fail(new Error('Could not reach the server.'));
    await flush();
    const waits: number[] = [];
    for (let i = 0; i < 10; i++) {
      const snap = conn.getSnapshot();
      expect(snap.state).toBe('RECONNECTING');
      expect(snap.attempt).toBe(i + 1);
      waits.push(snap.nextRetryAt! - Date.now());
      await vi.advanceTimersByTimeAsync(snap.nextRetryAt! - Date.now());
      latest().fail(new Error('Could not reach the server.'));
      await flush();
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000, 30000]);
    expect(conn.getSnapshot()).toMatchObject({ state: 'FAILED', attempt: 10, nextRetryAt: null, lastError: 'Could not reach the server.' });
    expect(transports).toHaveLength(11);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(transports).toHaveLength(11);

    conn.retry();
    expect(conn.getSnapshot()).toMatchObject({ state: 'RECONNECTING', attempt: 0 });
    latest().open();
    await flush();
    expect(conn.getSnapshot().state).toBe('CONNECTED');
  });

  test('retry() while waiting connects at once and forgets the attempts', async () => {
    make();
    conn.start();
    latest().fail(new Error('down'));
    await flush();
    await vi.advanceTimersByTimeAsync(1000);
    latest().fail(new Error('down'));
    await flush();
    expect(conn.getSnapshot()).toMatchObject({ state: 'RECONNECTING', attempt: 2 });
    conn.retry();
    expect(transports).toHaveLength(3);
    expect(conn.getSnapshot()).toMatchObject({ state: 'RECONNECTING', attempt: 0, nextRetryAt: null });
    // The abandoned timer does not fire a second attempt.
    await vi.advanceTimersByTimeAsync(5000);
    expect(transports).toHaveLength(3);
  });

  test('offline pauses: the socket is closed, no attempts are made; online reconnects at once', async () => {
    make();
    conn.start();
    latest().open();
    await flush();
    network.set(false);
    expect(latest().closedByClient).toBe(true);
    expect(conn.getSnapshot()).toMatchObject({ state: 'DISCONNECTED', online: false, nextRetryAt: null });
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(transports).toHaveLength(1);
    network.set(true);
    expect(transports).toHaveLength(2);
    expect(conn.getSnapshot()).toMatchObject({ state: 'RECONNECTING', online: true, attempt: 0 });
    latest().open();
    await flush();
    expect(conn.getSnapshot().state).toBe('CONNECTED');
  });

  test('FAILED starts over when the network comes back', async () => {
    conn = new Connection({
      openTransport: () => {
        const t = new FakeTransport();
        transports.push(t);
        return t;
      },
      network,
      maxAttempts: 1,
      random: () => 0,
    });
    conn.start();
    latest().fail(new Error('down'));
    await flush();
    await vi.advanceTimersByTimeAsync(1000);
    latest().fail(new Error('down'));
    await flush();
    expect(conn.getSnapshot().state).toBe('FAILED');
    network.set(false);
    network.set(true);
    expect(transports).toHaveLength(3);
    latest().open();
    await flush();
    expect(conn.getSnapshot().state).toBe('CONNECTED');
  });

  test('starting while offline waits for the network', async () => {
    network.online = false;
    make();
    conn.start();
    expect(transports).toHaveLength(0);
    expect(conn.getSnapshot()).toMatchObject({ state: 'DISCONNECTED', online: false });
    network.set(true);
    expect(transports).toHaveLength(1);
    latest().open();
    await flush();
    expect(conn.getSnapshot().state).toBe('CONNECTED');
  });

  test('keep-alive: after 20 s of silence it pings; no answer within 10 s gives the socket up', async () => {
    make();
    conn.start();
    latest().open();
    await flush();
    await vi.advanceTimersByTimeAsync(19_999);
    expect(latest().pings).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(latest().pings).toBe(1);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(conn.getSnapshot().state).toBe('CONNECTED');
    await vi.advanceTimersByTimeAsync(1);
    expect(latest().closedByClient).toBe(true);
    expect(conn.getSnapshot()).toMatchObject({ state: 'RECONNECTING', attempt: 1 });
    expect(conn.getSnapshot().lastError).toMatch(/keep-alive/);
  });

  test('an attempt that never opens (a black-holed address) is given up after 15 s and retried with backoff', async () => {
    make();
    conn.start();
    const hanging = latest();
    await vi.advanceTimersByTimeAsync(14_999);
    expect(conn.getSnapshot().state).toBe('CONNECTING');
    await vi.advanceTimersByTimeAsync(1);
    expect(hanging.closedByClient).toBe(true);
    expect(conn.getSnapshot()).toMatchObject({ state: 'RECONNECTING', attempt: 1, lastError: 'The server did not answer within 15 s.' });
    // It opening late changes nothing: the next attempt is a new transport.
    hanging.open();
    await flush();
    expect(conn.getSnapshot().state).toBe('RECONNECTING');
    await vi.advanceTimersByTimeAsync(reconnectDelayMs(0, () => 0));
    latest().open();
    await flush();
    expect(conn.getSnapshot().state).toBe('CONNECTED');
    // Once open, the timer is gone: nothing drops a quiet, healthy socket at 15 s.
    latest().message();
    await vi.advanceTimersByTimeAsync(15_000);
    expect(conn.getSnapshot().state).toBe('CONNECTED');
  });

  test('keep-alive: traffic or a pong keeps the socket', async () => {
    make();
    conn.start();
    latest().open();
    await flush();
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(15_000);
      latest().message();
    }
    expect(latest().pings).toBe(0);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(latest().pings).toBe(1);
    await vi.advanceTimersByTimeAsync(5_000);
    latest().message(); // the pong
    await vi.advanceTimersByTimeAsync(10_000);
    expect(conn.getSnapshot().state).toBe('CONNECTED');
    expect(latest().closedByClient).toBe(false);
  });

  test("a server's reconnect notice (draining) reconnects at once, without backoff", async () => {
    make();
    conn.start();
    latest().open();
    await flush();
    const first = latest();
    first.serverAsksToReconnect();
    expect(first.closedByClient).toBe(true);
    expect(transports).toHaveLength(2);
    expect(conn.getSnapshot()).toMatchObject({ state: 'RECONNECTING', attempt: 0 });
    // The old socket's late close event changes nothing.
    first.serverCloses();
    expect(conn.getSnapshot().state).toBe('RECONNECTING');
    latest().open();
    await flush();
    expect(conn.getSnapshot().state).toBe('CONNECTED');
  });

  test('openTransport is told why it opens (the fallback re-tests WebSockets on retry and network); the snapshot names the transport', async () => {
    const reasons: string[] = [];
    conn = new Connection({
      openTransport: (reason) => {
        reasons.push(reason);
        const t = new FakeTransport();
        transports.push(t);
        return t;
      },
      network,
      maxAttempts: 1,
      random: () => 0,
    });
    expect(conn.getSnapshot().transport).toBe('websocket');
    conn.start();
    latest().fail(new Error('down'));
    await flush();
    await vi.advanceTimersByTimeAsync(1000);
    latest().fail(new Error('down'));
    await flush();
    conn.retry();
    network.set(false);
    network.set(true);
    latest().open();
    await flush();
    latest().serverAsksToReconnect();
    expect(reasons).toEqual(['start', 'backoff', 'retry', 'network', 'request']);
  });

  test('stop() closes and stays DISCONNECTED; observers see every change', async () => {
    make();
    const states: string[] = [];
    conn.subscribe(() => states.push(conn.getSnapshot().state));
    conn.start();
    latest().open();
    await flush();
    conn.stop();
    expect(latest().closedByClient).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(transports).toHaveLength(1);
    expect(states).toEqual(['CONNECTING', 'CONNECTED', 'DISCONNECTED']);
  });
});
