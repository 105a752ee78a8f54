import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { MessageStore, RoomView } from './message-store.ts';
import { memoryStorage } from './storage.ts';
import { createTestClient, FakeServer, ME, refusal } from './test-server.ts';
import { settle } from './test-timers.ts';

const P = 'acme';
const R = 'general';
const OTHER_ROOM = 'random';

let server: FakeServer;
let cleanups: (() => void)[];

beforeEach(() => {
  vi.useFakeTimers();
  server = new FakeServer();
  cleanups = [];
});
afterEach(() => {
  for (const c of cleanups) c();
  vi.useRealTimers();
});

function client(options: Omit<Parameters<typeof createTestClient>[0], 'server'> = {}) {
  const c = createTestClient({ server, ...options });
  cleanups.push(() => c.close());
  return c;
}

/** Watches the partition and opens the room, like the room screen does. */
async function open(store: MessageStore, roomId = R): Promise<void> {
  cleanups.push(store.watch(P));
  void store.loadRoom(P, roomId);
  await settle();
}

const bodies = (view: RoomView) => view.messages.map((m) => m.body);

/** Every view a listener would have read (as useSyncExternalStore does on each change). */
function recordViews(store: MessageStore, roomId = R): RoomView[] {
  const seen: RoomView[] = [];
  cleanups.push(store.subscribe(() => seen.push(store.getRoom(P, roomId))));
  return seen;
}

describe('server messages', () => {
  test('the same event delivered twice shows the message once', async () => {
    server.post(P, R, 'hi');
    const { store } = client();
    await open(store);
    server.post(P, R, 'once');
    await settle();
    expect(server.duplicateEvent(0)).toBe(true);
    await settle();
    expect(bodies(store.getRoom(P, R))).toEqual(['hi', 'once']);
  });

  test('a replay that overlaps what is stored changes nothing, and adds what is new', async () => {
    const [a, b, c] = [server.post(P, R, 'a'), server.post(P, R, 'b'), server.post(P, R, 'c')];
    const storage = memoryStorage();
    // Stored by an earlier page: messages up to 3, but the position only at 1.
    await storage.set(`partition:${P}`, {
      v: 2,
      lastEventId: 1,
      rooms: { [R]: { loaded: true, nextCursor: null, hidden: [], messages: [a, b, c].map((m) => ({ ...m, asOf: m.eventId })) } },
    });
    server.post(P, R, 'd');
    const { store } = client({ storage });
    await open(store);
    expect(server.calls.subscribe).toEqual([{ partitionId: P, lastEventId: 1 }]);
    expect(store.getRoom(P, R).messages.map((m) => [m.body, m.eventId])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
      ['d', 4],
    ]);
    expect(store.syncStatus(P).lastEventId).toBe(4);
  });

  test('messages are in event order whatever order the page, the events and the replies arrive in', async () => {
    server.post(P, R, 'one');
    server.post(P, OTHER_ROOM, 'elsewhere');
    server.post(P, R, 'two');
    server.holdEvents = true;
    const { store, outbox } = client();
    const releaseList = server.hold('list');
    await open(store);
    expect(server.calls.subscribe).toEqual([{ partitionId: P, lastEventId: 3 }]);

    // After the head: someone else's message, then mine, answered before any event arrives.
    server.post(P, R, 'three');
    outbox.send({ partitionId: P, roomId: R, body: 'four', author: ME });
    await settle();
    expect(bodies(store.getRoom(P, R))).toEqual(['four']);

    server.deliverEvents();
    await settle();
    expect(bodies(store.getRoom(P, R))).toEqual(['three', 'four']);

    releaseList();
    await settle();
    expect(store.getRoom(P, R).messages.map((m) => m.eventId)).toEqual([1, 3, 4, 5]);
    expect(store.getRoom(P, R).messages.map((m) => m.eventId)).toEqual(server.messages(P, R).map((m) => m.eventId));
    expect(bodies(store.getRoom(P, OTHER_ROOM))).toEqual([]);
  });

  test('loadOlder pages back until the beginning of the room', async () => {
    server.pageSize = 3;
    for (let i = 1; i <= 7; i += 1) server.post(P, R, `m${i}`);
    const { store } = client();
    await open(store);
    expect(store.getRoom(P, R)).toMatchObject({ status: 'ready', hasOlder: true });
    expect(bodies(store.getRoom(P, R))).toEqual(['m5', 'm6', 'm7']);

    await store.loadOlder(P, R);
    expect(bodies(store.getRoom(P, R))).toEqual(['m2', 'm3', 'm4', 'm5', 'm6', 'm7']);
    expect(store.getRoom(P, R).hasOlder).toBe(true);

    await store.loadOlder(P, R);
    expect(bodies(store.getRoom(P, R))).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
    expect(store.getRoom(P, R).hasOlder).toBe(false);
    expect(server.calls.list.map((c) => c.before)).toEqual([undefined, 5, 2]);

    await store.loadOlder(P, R);
    expect(server.calls.list).toHaveLength(3);
  });

  test('a failed page shows the error, and a reload fetches it', async () => {
    server.post(P, R, 'there');
    server.failNext('list', new Error('Server unavailable.'));
    const { store } = client();
    await open(store);
    expect(store.getRoom(P, R)).toMatchObject({ status: 'error', error: 'Server unavailable.', messages: [] });

    await store.loadRoom(P, R, { force: true });
    expect(store.getRoom(P, R)).toMatchObject({ status: 'ready', error: null });
    expect(bodies(store.getRoom(P, R))).toEqual(['there']);
  });

  test('the room says it is loading while its first page is on the way', async () => {
    const { store } = client();
    const seen = recordViews(store);
    const releaseList = server.hold('list');
    await open(store);
    expect(store.getRoom(P, R).status).toBe('loading');
    releaseList();
    await settle();
    expect(store.getRoom(P, R).status).toBe('ready');
    expect(seen.map((v) => v.status)).toContain('loading');
  });
});

describe('first visit', () => {
  test('fetches the head, subscribes from it, and only then fetches the room', async () => {
    server.post(P, R, 'before');
    const { store } = client();
    const releaseHead = server.hold('head');
    await open(store);
    expect(server.log).toEqual([]);
    expect(store.getRoom(P, R).messages).toEqual([]);

    // Posted while the head is on the way: it must come by the page or by the stream, not be lost.
    server.post(P, R, 'meanwhile');
    releaseHead();
    await settle();
    expect(server.log).toEqual(['head', 'subscribe', 'list']);
    expect(server.calls.subscribe).toEqual([{ partitionId: P, lastEventId: 2 }]);
    server.post(P, R, 'after');
    await settle();
    expect(bodies(store.getRoom(P, R))).toEqual(['before', 'meanwhile', 'after']);
  });
});

describe('pending messages', () => {
  test('are shown last as SENDING with their clientId, after the server messages', async () => {
    server.post(P, R, 'theirs');
    const { store, outbox } = client({ canSend: () => false });
    await open(store);
    const entry = outbox.send({ partitionId: P, roomId: R, body: 'mine', author: ME });
    server.post(P, R, 'theirs later');
    await settle();
    expect(store.getRoom(P, R).messages.map((m) => [m.body, m.status])).toEqual([
      ['theirs', 'SENT'],
      ['theirs later', 'SENT'],
      ['mine', 'SENDING'],
    ]);
    expect(store.getRoom(P, R).messages[2]).toMatchObject({
      key: entry.clientId,
      clientId: entry.clientId,
      id: null,
      eventId: null,
      queued: true,
      authorId: ME.id,
    });
    expect(store.getRoom(P, OTHER_ROOM).messages).toEqual([]);
  });

  test('the echo event arriving before the reply replaces the pending entry, never showing it twice', async () => {
    const { store, outbox } = client();
    await open(store);
    server.holdReplies = true;
    const seen = recordViews(store);
    const entry = outbox.send({ partitionId: P, roomId: R, body: 'echo first', author: ME });
    expect(store.getRoom(P, R).messages).toEqual([expect.objectContaining({ clientId: entry.clientId, status: 'SENDING' })]);
    await settle();

    // The event is delivered (events are not held) while the reply is still on its way.
    expect(server.heldReplies).toBe(1);
    expect(outbox.getSnapshot()).toEqual([expect.objectContaining({ clientId: entry.clientId, status: 'sending' })]);
    expect(store.getRoom(P, R).messages).toEqual([expect.objectContaining({ clientId: entry.clientId, status: 'SENT', id: expect.any(String) })]);
    server.deliverNextReply();
    await settle();
    expect(store.getRoom(P, R).messages).toEqual([expect.objectContaining({ key: entry.clientId, status: 'SENT', eventId: 1 })]);
    expect(outbox.getSnapshot()).toEqual([]);
    for (const view of seen) expect(view.messages.filter((m) => m.clientId === entry.clientId).length).toBeLessThanOrEqual(1);
  });

  test('the reply arriving before the echo event replaces the pending entry, and the event adds no double', async () => {
    const { store, outbox } = client();
    await open(store);
    server.holdEvents = true;
    const seen = recordViews(store);
    const entry = outbox.send({ partitionId: P, roomId: R, body: 'reply first', author: ME });
    expect(store.getRoom(P, R).messages).toEqual([expect.objectContaining({ clientId: entry.clientId, status: 'SENDING' })]);
    await settle();
    expect(server.queuedEvents).toBe(1);
    expect(store.getRoom(P, R).messages).toEqual([expect.objectContaining({ clientId: entry.clientId, status: 'SENT', eventId: 1 })]);

    server.deliverEvents();
    await settle();
    expect(store.getRoom(P, R).messages).toEqual([expect.objectContaining({ clientId: entry.clientId, status: 'SENT', eventId: 1 })]);
    expect(store.syncStatus(P).lastEventId).toBe(1);
    for (const view of seen) expect(view.messages.filter((m) => m.clientId === entry.clientId).length).toBeLessThanOrEqual(1);
  });

  test('a refused message is shown FAILED with the server reason', async () => {
    const { store, outbox } = client();
    await open(store);
    server.failNext('send', refusal('FORBIDDEN', 'You are not a member of this room.'));
    const entry = outbox.send({ partitionId: P, roomId: R, body: 'no', author: ME });
    await settle();
    expect(store.getRoom(P, R).messages).toEqual([
      expect.objectContaining({ clientId: entry.clientId, status: 'FAILED', error: 'You are not a member of this room.', queued: false }),
    ]);
  });
});

describe('reload', () => {
  test('restore() shows the stored messages without the network; watch() resumes from the stored position', async () => {
    const storage = memoryStorage();
    server.post(P, R, 'one');
    const first = client({ storage });
    await open(first.store);
    first.outbox.send({ partitionId: P, roomId: R, body: 'two', author: ME });
    await settle();
    // Saved on its own, shortly after the change.
    await vi.advanceTimersByTimeAsync(250);
    first.close();

    const callsBefore = server.log.length;
    server.disconnect();
    const second = client({ storage });
    await second.store.restore(P);
    expect(second.store.getRoom(P, R)).toMatchObject({ status: 'ready', error: null });
    expect(second.store.getRoom(P, R).messages.map((m) => [m.body, m.status])).toEqual([
      ['one', 'SENT'],
      ['two', 'SENT'],
    ]);
    expect(server.log.length).toBe(callsBefore);

    server.reconnect();
    server.post(P, R, 'three');
    cleanups.push(second.store.watch(P));
    await second.store.loadRoom(P, R);
    await settle();
    expect(server.log.slice(callsBefore)).toEqual(['subscribe']);
    expect(server.calls.subscribe.at(-1)).toEqual({ partitionId: P, lastEventId: 2 });
    expect(bodies(second.store.getRoom(P, R))).toEqual(['one', 'two', 'three']);
  });

  test('a stream refused because the user is no longer a member forgets the workspace, in memory and in storage', async () => {
    const storage = memoryStorage();
    server.post(P, R, 'secret plans');
    const { store } = client({ storage });
    await open(store);
    await vi.advanceTimersByTimeAsync(250);
    expect(await storage.get(`partition:${P}`)).toBeDefined();
    expect(bodies(store.getRoom(P, R))).toEqual(['secret plans']);

    server.endStreams(P, refusal('FORBIDDEN', 'You are no longer a member of this workspace.'));
    await settle();
    expect(store.syncStatus(P)).toEqual({ status: 'error', error: 'You are no longer a member of this workspace.', lastEventId: null });
    expect(store.getRoom(P, R).messages).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await storage.get(`partition:${P}`)).toBeUndefined();
  });

  test('a stream that ends for another reason keeps what it has', async () => {
    const storage = memoryStorage();
    server.post(P, R, 'kept');
    const { store } = client({ storage });
    await open(store);
    await vi.advanceTimersByTimeAsync(250);
    server.endStreams(P, refusal('INTERNAL_SERVER_ERROR', 'Something went wrong.'));
    await settle();
    expect(store.syncStatus(P).status).toBe('error');
    expect(bodies(store.getRoom(P, R))).toEqual(['kept']);
    expect(await storage.get(`partition:${P}`)).toBeDefined();
  });
});

describe('getRoom', () => {
  test('returns the same object until that room changes', async () => {
    server.post(P, R, 'a');
    const { store, outbox } = client({ canSend: () => false });
    await open(store);
    await store.loadRoom(P, OTHER_ROOM);
    const view = store.getRoom(P, R);
    expect(store.getRoom(P, R)).toBe(view);

    server.post(P, OTHER_ROOM, 'elsewhere');
    outbox.send({ partitionId: P, roomId: OTHER_ROOM, body: 'pending elsewhere', author: ME });
    await settle();
    expect(bodies(store.getRoom(P, OTHER_ROOM))).toEqual(['elsewhere', 'pending elsewhere']);
    expect(store.getRoom(P, R)).toBe(view);

    server.post(P, R, 'b');
    await settle();
    const changed = store.getRoom(P, R);
    expect(changed).not.toBe(view);
    expect(bodies(changed)).toEqual(['a', 'b']);
    expect(store.getRoom(P, R)).toBe(changed);

    outbox.send({ partitionId: P, roomId: R, body: 'c', author: ME });
    expect(store.getRoom(P, R)).not.toBe(changed);
    expect(bodies(store.getRoom(P, R))).toEqual(['a', 'b', 'c']);
  });
});

describe('events', () => {
  test('onEvent listeners see each new event once, after the store applied it', async () => {
    const { store } = client();
    await open(store);
    const seen: { id: number; shown: string[] }[] = [];
    cleanups.push(store.onEvent((e) => seen.push({ id: e.id, shown: bodies(store.getRoom(P, R)) })));
    server.post(P, R, 'x');
    await settle();
    server.duplicateEvent(0);
    await settle();
    expect(seen).toEqual([{ id: 1, shown: ['x'] }]);
  });
});
