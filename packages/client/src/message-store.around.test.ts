import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import type { MessageStore, RoomView } from './message-store.ts';
import { createTestClient, FakeServer, ME, SOMEONE_ELSE } from './test-server.ts';
import { settle } from './test-timers.ts';

/**
 * "Jump to" a message far back in a room (a search hit): `loadAround` shows the history around it
 * without loading everything in between, `loadOlder` / `loadNewer` read on from there, and the
 * view becomes the live room again once it reaches the latest messages.
 */
const P = 'acme';
const R = 'general';
/** Pages of 10 (the real server's default is 50): 100 messages are 10 pages. */
const PAGE = 10;

let server: FakeServer;
let cleanups: (() => void)[];

beforeEach(() => {
  vi.useFakeTimers();
  server = new FakeServer({ pageSize: PAGE });
  cleanups = [];
});
afterEach(() => {
  for (const c of cleanups) c();
  vi.useRealTimers();
});

async function openRoom(): Promise<MessageStore> {
  const c = createTestClient({ server });
  cleanups.push(() => c.close());
  cleanups.push(c.store.watch(P));
  void c.store.loadRoom(P, R);
  await settle();
  return c.store;
}

const bodies = (view: RoomView) => view.messages.map((m) => m.body);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `m${from + i}`);

function postMany(n: number) {
  return Array.from({ length: n }, (_, i) => server.post(P, R, `m${i}`));
}

test('a message far back: the history around it is shown instead of the latest, and reads on in both directions', async () => {
  const posted = postMany(100);
  const store = await openRoom();
  expect(bodies(store.getRoom(P, R))).toEqual(range(90, 100));

  const shown = store.loadAround(P, R, posted[20]!.id, PAGE);
  await settle();
  expect(await shown).toBe(true);
  let view = store.getRoom(P, R);
  // The page that holds it and half a page newer; nothing of what lies between.
  expect(bodies(view)).toEqual(range(11, 26));
  expect(view).toMatchObject({ detached: true, hasOlder: true, hasNewer: true, status: 'ready' });
  expect(server.calls.list.at(-1)).toMatchObject({ around: posted[20]!.id });

  void store.loadOlder(P, R);
  await settle();
  expect(bodies(store.getRoom(P, R))).toEqual(range(1, 26));

  void store.loadNewer(P, R);
  await settle();
  view = store.getRoom(P, R);
  expect(bodies(view)).toEqual(range(1, 36));
  expect(view.detached).toBe(true);

  // Live messages go to the latest messages, not into the stretch being read.
  server.post(P, R, 'live');
  await settle();
  expect(bodies(store.getRoom(P, R))).toEqual(range(1, 36));

  // Reading on until the stretch meets the loaded latest page: one room again, everything in order.
  for (let i = 0; i < 10 && store.getRoom(P, R).detached; i++) {
    void store.loadNewer(P, R);
    await settle();
  }
  view = store.getRoom(P, R);
  expect(view.detached).toBe(false);
  expect(bodies(view)).toEqual([...range(1, 100), 'live']);
  expect(view.hasOlder).toBe(true);
  void store.loadOlder(P, R);
  await settle();
  expect(bodies(store.getRoom(P, R))).toEqual([...range(0, 100), 'live']);
});

test('changes reach the messages being read back there: edits, deletions, reactions, deletions for me', async () => {
  const posted = postMany(60);
  const store = await openRoom();
  void store.loadAround(P, R, posted[10]!.id, PAGE);
  await settle();
  server.actAs(SOMEONE_ELSE, P, { type: 'message.edit', messageId: posted[10]!.id, body: 'edited' });
  server.actAs(SOMEONE_ELSE, P, { type: 'message.delete', messageId: posted[11]!.id, scope: 'everyone' });
  server.actAs(ME, P, { type: 'reaction.add', messageId: posted[12]!.id, emoji: '👍' });
  server.actAs(ME, P, { type: 'message.delete', messageId: posted[13]!.id, scope: 'me' });
  await settle();
  const view = store.getRoom(P, R);
  const byId = new Map(view.messages.map((m) => [m.id, m]));
  expect(byId.get(posted[10]!.id)?.body).toBe('edited');
  expect(byId.get(posted[11]!.id)?.deletedAt).not.toBeNull();
  expect(byId.get(posted[12]!.id)?.reactions.map((r) => r.emoji)).toEqual(['👍']);
  expect(byId.has(posted[13]!.id)).toBe(false);
  expect(view.detached).toBe(true);
});

test('showLatest goes back to the latest messages; a message already loaded, or near them, is no detour', async () => {
  const posted = postMany(60);
  const store = await openRoom();
  void store.loadAround(P, R, posted[5]!.id, PAGE);
  await settle();
  expect(store.getRoom(P, R).detached).toBe(true);
  store.showLatest(P, R);
  expect(store.getRoom(P, R)).toMatchObject({ detached: false });
  expect(bodies(store.getRoom(P, R))).toEqual(range(50, 60));

  // In the loaded page: nothing is fetched.
  const calls = server.calls.list.length;
  expect(await store.loadAround(P, R, posted[55]!.id, PAGE)).toBe(true);
  expect(server.calls.list.length).toBe(calls);

  // Just before it: the page around it overlaps the loaded one and joins it.
  const near = store.loadAround(P, R, posted[45]!.id, PAGE);
  await settle();
  expect(await near).toBe(true);
  const view = store.getRoom(P, R);
  expect(view.detached).toBe(false);
  expect(bodies(view)).toEqual(range(36, 60));
});

test('a message the server does not have in the room: false, and the view stays as it was', async () => {
  postMany(30);
  const store = await openRoom();
  const missing = store.loadAround(P, R, 'no-such-message', PAGE);
  await settle();
  expect(await missing).toBe(false);
  expect(store.getRoom(P, R)).toMatchObject({ detached: false });
  expect(bodies(store.getRoom(P, R))).toEqual(range(20, 30));
});

test('a reply quote jumped to while reading back there is looked for around it, not by paging from the latest', async () => {
  const posted = postMany(80);
  const store = await openRoom();
  void store.loadAround(P, R, posted[40]!.id, PAGE);
  await settle();
  const found = store.loadUntil(P, R, posted[3]!.id);
  await settle();
  expect(await found).toBe(true);
  expect(bodies(store.getRoom(P, R))).toContain('m3');
  expect(store.getRoom(P, R).detached).toBe(true);
});
