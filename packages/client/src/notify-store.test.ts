import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import type { RoomNotifyDto } from '@parley/api';
import { NotifyStore } from './notify-store.ts';
import { createTestClient, FakeServer } from './test-server.ts';
import { settle } from './test-timers.ts';

const P = 'acme';
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

/** One device of the signed-in user: its outbox and stream, and a notify store over them. */
function device(listed: RoomNotifyDto[] = []) {
  const c = createTestClient({ server });
  const notify = new NotifyStore({ api: { list: () => Promise.resolve(listed) }, outbox: c.outbox, events: { onEvent: (l) => c.store.onEvent(l) } });
  cleanups.push(
    () => c.close(),
    () => notify.close(),
    c.store.watch(P),
  );
  return { ...c, notify };
}

test('defaults by kind until loaded levels say otherwise', async () => {
  const a = device([{ roomId: 'general', level: 'mute', explicit: true }]);
  expect(a.notify.getSnapshot(P).loaded).toBe(false);
  expect(a.notify.levelOf(P, 'dm-1', 'dm')).toBe('all');
  expect(a.notify.levelOf(P, 'general', 'public')).toBe('mentions');
  await a.notify.load(P);
  expect(a.notify.getSnapshot(P)).toMatchObject({ loaded: true, levels: { general: 'mute' } });
  expect(a.notify.levelOf(P, 'general', 'public')).toBe('mute');
  expect(a.notify.getSnapshot(P)).toBe(a.notify.getSnapshot(P));
});

test('a change shows at once, goes through the outbox once, and the other device follows by the event', async () => {
  const a = device();
  const b = device();
  await Promise.all([a.notify.load(P), b.notify.load(P)]);
  await settle();
  const seen: string[] = [];
  cleanups.push(b.notify.subscribe(() => seen.push(b.notify.levelOf(P, 'general', 'public'))));
  a.notify.set(P, 'general', 'all');
  // Shown before the server answers.
  expect(a.notify.levelOf(P, 'general', 'public')).toBe('all');
  expect(a.outbox.getSnapshot().filter((e) => e.kind === 'op' && e.op.type === 'notify.set')).toHaveLength(1);
  await settle();
  expect(a.outbox.getSnapshot()).toHaveLength(0);
  expect(a.notify.levelOf(P, 'general', 'public')).toBe('all');
  expect(b.notify.levelOf(P, 'general', 'public')).toBe('all');
  expect(seen).toContain('all');
});

test('offline: the change waits in the outbox and is still shown', async () => {
  let online = false;
  const c = createTestClient({ server, canSend: () => online });
  const notify = new NotifyStore({ api: { list: () => Promise.resolve([]) }, outbox: c.outbox, events: { onEvent: (l) => c.store.onEvent(l) } });
  cleanups.push(
    () => c.close(),
    () => notify.close(),
  );
  notify.set(P, 'dm-1', 'mute');
  await settle();
  expect(notify.levelOf(P, 'dm-1', 'dm')).toBe('mute');
  expect(c.outbox.getSnapshot()).toHaveLength(1);
  online = true;
  await c.outbox.flush();
  await settle();
  expect(c.outbox.getSnapshot()).toHaveLength(0);
});
