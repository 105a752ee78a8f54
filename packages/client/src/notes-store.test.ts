import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { NotesStore } from './notes-store.ts';
import { memoryStorage } from './storage.ts';
import { FakeNotesServer } from './test-notes-server.ts';
import { settle } from './test-timers.ts';

const ada = { id: 'u-ada', name: 'Ada' };
const bob = { id: 'u-bob', name: 'Bob' };

let server: FakeNotesServer;
beforeEach(() => {
  vi.useFakeTimers();
  server = new FakeNotesServer('acme', 60_000);
});
afterEach(() => vi.useRealTimers());

test('live from the events: saves, locks and deletions show; a replayed event changes nothing', async () => {
  const plan = server.seed('Plan', 'one', ada);
  const store = new NotesStore({ api: server.api(ada), events: server.eventSource() });
  store.watch('acme');
  await settle();
  expect(store.getSnapshot('acme')).toMatchObject({ status: 'ready', notes: [{ id: plan.id, title: 'Plan', lock: null }] });

  const bobs = server.api(bob);
  const { token } = await bobs.lock('acme', plan.id);
  await bobs.save({ partitionId: 'acme', noteId: plan.id, token, body: 'two' });
  expect(store.getNote('acme', plan.id)).toMatchObject({ version: 2, body: 'two', lock: { holder: { displayName: 'Bob' } } });

  const view = store.getSnapshot('acme');
  server.replay(server.events[0]!); // the old note.locked again
  expect(store.getSnapshot('acme')).toBe(view);

  await bobs.unlock({ partitionId: 'acme', noteId: plan.id, token });
  expect(store.getNote('acme', plan.id)!.lock).toBeNull();

  await store.delete('acme', plan.id);
  await store.load('acme');
  expect(store.getSnapshot('acme').notes).toEqual([]);
  expect(store.isDeleted('acme', plan.id)).toBe(true);
});

test('with a storage, the notes read before are there offline after a reload', async () => {
  const storage = memoryStorage();
  const plan = server.seed('Plan', 'kept', ada);
  const online = new NotesStore({ api: server.api(ada), events: server.eventSource(), storage });
  online.watch('acme');
  await settle();
  await online.loadNote('acme', plan.id);
  await online.persist();

  server.down = true;
  const offline = new NotesStore({ api: server.api(ada), events: server.eventSource(), storage });
  offline.watch('acme');
  await settle();
  expect(offline.getSnapshot('acme')).toMatchObject({ status: 'error', cached: true, notes: [{ id: plan.id, body: 'kept' }] });
});
