import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { MemberPresenceDto } from '@parley/api';
import { Emitter } from './emitter.ts';
import { PresenceStore, TYPING_SIGNAL_INTERVAL_MS } from './presence-store.ts';
import { FakePresenceServer, networkError, refusal } from './test-server.ts';

const P = 'acme';
const ADA = 'u-ada';
const BOB = 'u-bob';

let server: FakePresenceServer;
let store: PresenceStore;

/** A connection whose state the test sets. */
function fakeConnection() {
  const emitter = new Emitter();
  let state = 'CONNECTED';
  return {
    subscribe: (listener: () => void) => emitter.on(listener),
    getSnapshot: () => ({ state }),
    set(next: string) {
      state = next;
      emitter.emit();
    },
  };
}

const online = (userId: string): MemberPresenceDto => ({ userId, status: 'online', lastSeenAt: null, offlineAt: null });
/** Reconnecting since `sinceMs` ago, offline `inMs` from now (server clock). */
const reconnecting = (userId: string, sinceMs: number, inMs: number): MemberPresenceDto => ({
  userId,
  status: 'reconnecting',
  lastSeenAt: server.iso(-sinceMs),
  offlineAt: server.iso(inMs),
});

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-03-01T10:00:00.000Z'));
  server = new FakePresenceServer();
  store = new PresenceStore({ api: server });
});
afterEach(() => {
  store.close();
  vi.useRealTimers();
});

describe('watching a partition', () => {
  test('is loading until the snapshot, then live with every member; the view is the same object until something changes', () => {
    expect(store.getSnapshot(P).status).toBe('idle');
    store.watch(P);
    expect(store.getSnapshot(P)).toMatchObject({ status: 'loading', members: {} });
    server.snapshot(P, [online(ADA), { userId: BOB, status: 'offline', lastSeenAt: server.iso(-3_600_000), offlineAt: null }]);
    const view = store.getSnapshot(P);
    expect(view.status).toBe('live');
    expect(view.members[ADA]).toEqual({ userId: ADA, status: 'online', lastSeenAt: null, offlineAt: null });
    expect(view.members[BOB]).toEqual({ userId: BOB, status: 'offline', lastSeenAt: Date.now() - 3_600_000, offlineAt: null });
    expect(store.getSnapshot(P)).toBe(view);

    server.presence(P, reconnecting(ADA, 0, 60_000));
    expect(store.getSnapshot(P)).not.toBe(view);
    expect(store.getSnapshot(P).members[ADA]?.status).toBe('reconnecting');
  });

  test('is counted: the subscription ends with the last watcher, and the view is idle again', () => {
    const first = store.watch(P);
    const second = store.watch(P);
    expect(server.watchers(P)).toBe(1);
    first();
    first();
    expect(server.watchers(P)).toBe(1);
    second();
    expect(server.watchers(P)).toBe(0);
    expect(store.getSnapshot(P).status).toBe('idle');
  });

  test('a refusal shows as an error with the reason', () => {
    store.watch(P);
    server.refuse(P, refusal('NOT_FOUND', 'No such workspace, or you are not a member of it.'));
    expect(store.getSnapshot(P)).toMatchObject({ status: 'error', error: 'No such workspace, or you are not a member of it.' });
  });

  test('says when the server cannot tell (its Redis is down)', () => {
    store.watch(P);
    server.snapshot(P, [{ userId: ADA, status: 'offline', lastSeenAt: null, offlineAt: null }], [], false);
    expect(store.getSnapshot(P).available).toBe(false);
  });
});

describe('on the local clock, on time', () => {
  test('a reconnecting member turns offline at offlineAt by itself, with their last seen, even if no announcement comes', () => {
    const listener = vi.fn();
    store.subscribe(listener);
    store.watch(P);
    server.snapshot(P, [reconnecting(ADA, 20_000, 40_000)]);
    const lastSeenAt = Date.now() - 20_000;
    expect(store.getSnapshot(P).members[ADA]).toEqual({ userId: ADA, status: 'reconnecting', lastSeenAt, offlineAt: Date.now() + 40_000 });

    vi.advanceTimersByTime(39_999);
    expect(store.getSnapshot(P).members[ADA]?.status).toBe('reconnecting');
    listener.mockClear();
    vi.advanceTimersByTime(1);
    expect(store.getSnapshot(P).members[ADA]).toEqual({ userId: ADA, status: 'offline', lastSeenAt, offlineAt: null });
    expect(listener).toHaveBeenCalled();
  });

  test('coming back before offlineAt cancels it: online, never offline', () => {
    store.watch(P);
    server.snapshot(P, [online(ADA)]);
    server.presence(P, reconnecting(ADA, 0, 60_000));
    vi.advanceTimersByTime(2_000);
    server.presence(P, online(ADA));
    vi.advanceTimersByTime(120_000);
    expect(store.getSnapshot(P).members[ADA]?.status).toBe('online');
  });

  test("with the server's clock 30 s ahead, typing still lasts 5 s here and reconnecting 60 s", () => {
    server.clockOffsetMs = 30_000;
    store.watch(P);
    server.snapshot(P, [online(ADA), online(BOB)]);
    server.typingOf(P, BOB, 'general');
    server.presence(P, reconnecting(ADA, 0, 60_000));
    expect(store.getSnapshot(P).typing).toEqual([{ userId: BOB, roomId: 'general', until: Date.now() + 5_000 }]);
    expect(store.getSnapshot(P).members[ADA]?.offlineAt).toBe(Date.now() + 60_000);

    vi.advanceTimersByTime(4_999);
    expect(store.getSnapshot(P).typing).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(store.getSnapshot(P).typing).toEqual([]);
    vi.advanceTimersByTime(55_000);
    expect(store.getSnapshot(P).members[ADA]?.status).toBe('offline');
  });

  test('a later typing signal extends it; a stop (until = at) ends it at once; the list keeps who started first', () => {
    store.watch(P);
    server.snapshot(P, []);
    server.typingOf(P, BOB, 'general');
    vi.advanceTimersByTime(1_000);
    server.typingOf(P, ADA, 'general');
    vi.advanceTimersByTime(3_000);
    server.typingOf(P, BOB, 'general');
    expect(store.getSnapshot(P).typing.map((t) => t.userId)).toEqual([ADA, BOB]);
    vi.advanceTimersByTime(2_000);
    // Ada's ran out; Bob's was extended.
    expect(store.getSnapshot(P).typing.map((t) => t.userId)).toEqual([BOB]);
    server.typingOf(P, BOB, 'general', 0);
    expect(store.getSnapshot(P).typing).toEqual([]);
  });

  test("an author's message ends their typing in that room at once, and only there (no stop needed from the server)", () => {
    store.watch(P);
    server.snapshot(P, []);
    server.typingOf(P, BOB, 'general');
    server.typingOf(P, BOB, 'random');
    server.typingOf(P, ADA, 'general');
    const view = store.getSnapshot(P);
    store.messageFrom(P, 'general', BOB);
    expect(store.getSnapshot(P).typing.map((t) => `${t.userId}@${t.roomId}`)).toEqual([`${BOB}@random`, `${ADA}@general`]);
    // A message from someone who was not typing changes nothing.
    const after = store.getSnapshot(P);
    store.messageFrom(P, 'general', 'u-cat');
    store.messageFrom('elsewhere', 'general', ADA);
    expect(store.getSnapshot(P)).toBe(after);
    expect(after).not.toBe(view);
  });
});

describe('after a reconnect', () => {
  test('the view is stale while the connection is down, and the fresh snapshot replaces everything', () => {
    const connection = fakeConnection();
    store.close();
    store = new PresenceStore({ api: server, connection });
    store.watch(P);
    server.snapshot(P, [online(ADA), online(BOB)]);
    server.typingOf(P, BOB, 'general');
    expect(store.getSnapshot(P).stale).toBe(false);

    connection.set('RECONNECTING');
    expect(store.getSnapshot(P).stale).toBe(true);
    connection.set('CONNECTED');
    // The link subscribes again on the new socket: the server starts with a snapshot.
    server.snapshot(P, [online(ADA), { userId: BOB, status: 'offline', lastSeenAt: server.iso(-1_000), offlineAt: null }]);
    const view = store.getSnapshot(P);
    expect(view.stale).toBe(false);
    expect(view.typing).toEqual([]);
    expect(view.members[BOB]?.status).toBe('offline');
  });
});

describe('sending typing signals', () => {
  test('at most one per room every 2 s, however fast the keystrokes', () => {
    for (let i = 0; i < 10; i++) {
      store.typing(P, 'general');
      vi.advanceTimersByTime(150);
    }
    expect(server.typingCalls).toEqual([{ partitionId: P, roomId: 'general' }]);
    vi.advanceTimersByTime(TYPING_SIGNAL_INTERVAL_MS - 1_500);
    store.typing(P, 'general');
    store.typing(P, 'random');
    expect(server.typingCalls.map((c) => c.roomId)).toEqual(['general', 'general', 'random']);
  });

  test('after a send (stopTyping) the next keystroke signals at once', () => {
    store.typing(P, 'general');
    store.stopTyping(P, 'general');
    store.typing(P, 'general');
    expect(server.typingCalls).toHaveLength(2);
  });

  test('a signal lost on the way is retried by the next keystroke; a rate limit is waited out', async () => {
    server.typingFailures.push(networkError());
    store.typing(P, 'general');
    await vi.advanceTimersByTimeAsync(0);
    store.typing(P, 'general');
    expect(server.typingCalls).toHaveLength(2);

    vi.advanceTimersByTime(TYPING_SIGNAL_INTERVAL_MS);
    server.typingFailures.push(refusal('TOO_MANY_REQUESTS', 'Too fast.', { retryAfterMs: 7_000 }));
    store.typing(P, 'general');
    await vi.advanceTimersByTimeAsync(0);
    vi.advanceTimersByTime(6_000);
    store.typing(P, 'general');
    expect(server.typingCalls).toHaveLength(3);
    vi.advanceTimersByTime(1_000);
    store.typing(P, 'general');
    expect(server.typingCalls).toHaveLength(4);
  });

  test('nothing is sent while offline', () => {
    let online = false;
    store.close();
    store = new PresenceStore({ api: server, canSend: () => online });
    store.typing(P, 'general');
    online = true;
    store.typing(P, 'general');
    expect(server.typingCalls).toHaveLength(1);
  });
});
