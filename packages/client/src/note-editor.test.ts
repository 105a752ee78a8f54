import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { NoteDrafts } from './note-drafts.ts';
import { NoteEditor, type Connectivity, type PageLifecycle } from './note-editor.ts';
import { MIN_RENEW_DELAY_MS, renewDelayMs } from './note-lock-schedule.ts';
import { NotesStore } from './notes-store.ts';
import { memoryStorage } from './storage.ts';
import { FakeNotesServer } from './test-notes-server.ts';
import { settle } from './test-timers.ts';

const ada = { id: 'u-ada', name: 'Ada' };
const bob = { id: 'u-bob', name: 'Bob' };
const LOCK_MS = 2000;

class FakeConnectivity implements Connectivity {
  online = true;
  readonly #listeners = new Set<() => void>();
  isOnline = () => this.online;
  onOnline = (listener: () => void) => (this.#listeners.add(listener), () => this.#listeners.delete(listener));
  set(online: boolean) {
    this.online = online;
    if (online) for (const l of [...this.#listeners]) l();
  }
}

class FakePage implements PageLifecycle {
  readonly hide = new Set<() => void>();
  readonly show = new Set<() => void>();
  onHide = (l: () => void) => (this.hide.add(l), () => this.hide.delete(l));
  onShow = (l: () => void) => (this.show.add(l), () => this.show.delete(l));
}

let server: FakeNotesServer;
let storage: ReturnType<typeof memoryStorage>;
let net: FakeConnectivity;
let noteId: string;
const editors: NoteEditor[] = [];

function editor(me = ada, opts: { page?: PageLifecycle; storage?: ReturnType<typeof memoryStorage> } = {}) {
  const notes = new NotesStore({ api: server.api(me), events: server.eventSource() });
  // What the notes list had read before (offline: the cached copy the draft is based on).
  notes.put('acme', { ...server.rows.get(noteId)!.note });
  const e = new NoteEditor({
    api: server.api(me),
    partitionId: 'acme',
    noteId,
    drafts: new NoteDrafts(opts.storage ?? storage),
    notes,
    events: server.eventSource().onEvent,
    connectivity: net,
    page: opts.page ?? null,
  });
  editors.push(e);
  return e;
}

const renewals = () => server.calls.filter((c) => c.endsWith(':renew')).length;
const saves = () => server.calls.filter((c) => c.endsWith(':save')).length;

beforeEach(() => {
  vi.useFakeTimers();
  server = new FakeNotesServer('acme', LOCK_MS);
  storage = memoryStorage();
  net = new FakeConnectivity();
  noteId = server.seed('Plan', 'v1 text', ada).id;
});
afterEach(() => {
  for (const e of editors.splice(0)) e.dispose();
  vi.useRealTimers();
});

describe('renewal schedule', () => {
  test('every 2 minutes on a 5-minute lock, at half the time left on a short one, never in a busy loop', () => {
    expect(renewDelayMs(5 * 60_000, 0, 120_000)).toBe(120_000);
    expect(renewDelayMs(2000, 0, 120_000)).toBe(1000);
    expect(renewDelayMs(1000, 5000, 120_000)).toBe(MIN_RENEW_DELAY_MS);
  });
});

describe('NoteEditor', () => {
  test('a held lock is renewed before it expires, long past its length, and typing renews it too (throttled)', async () => {
    const e = editor();
    expect(await e.acquire()).toBe(true);
    expect(e.getSnapshot().status).toBe('held');
    for (let i = 0; i < 10; i += 1) await vi.advanceTimersByTimeAsync(LOCK_MS / 2);
    expect(e.getSnapshot().status).toBe('held');
    expect(server.rows.get(noteId)!.lock!.expiresAt).toBeGreaterThan(Date.now());
    expect(renewals()).toBeGreaterThanOrEqual(9);

    const typing = editor(ada);
    await typing.acquire();
    const before = renewals();
    typing.edit('Plan', 'a');
    typing.edit('Plan', 'ab');
    await settle();
    expect(renewals()).toBe(before); // the lock was just taken: typing waits its 30 s
  });

  test('a second person is refused with the holder and expiry; a save then a release lets them in', async () => {
    const a = editor(ada);
    const b = editor(bob);
    await a.acquire();
    expect(await b.acquire()).toBe(false);
    expect(b.getSnapshot()).toMatchObject({ status: 'idle', lockedBy: { holder: { displayName: 'Ada' } }, error: expect.stringContaining('Ada is editing') });

    a.edit('Plan', 'v2 text');
    expect(await a.save()).toBe(true);
    expect(a.getSnapshot()).toMatchObject({ status: 'held', draft: null, note: { version: 2, body: 'v2 text' } });
    await a.release();
    expect(a.getSnapshot().status).toBe('idle');
    expect(await b.acquire()).toBe(true);
  });

  test('a force-unlocked holder is lost with its text kept; acquiring again saves it when nobody saved meanwhile', async () => {
    const e = editor();
    await e.acquire();
    await settle();
    e.edit('Plan', 'typed before the unlock');
    server.forceUnlock(noteId);
    await settle();
    expect(e.getSnapshot()).toMatchObject({ status: 'lost', draft: { body: 'typed before the unlock', baseVersion: 1 } });
    expect(e.getSnapshot().error).toMatch(/lost/);
    expect(server.rows.get(noteId)!.note.version).toBe(1);

    expect(await e.acquire()).toBe(true);
    await settle();
    expect(e.getSnapshot()).toMatchObject({ status: 'held', draft: null, note: { version: 2, body: 'typed before the unlock' } });
  });

  test('offline: a durable draft survives a reload and is saved once when the server is back', async () => {
    net.online = false;
    server.down = true;
    const first = editor();
    await first.ready;
    expect(await first.acquire()).toBe(false);
    expect(first.getSnapshot().status).toBe('offline-draft');
    first.edit('Plan', 'written on the train');
    await vi.advanceTimersByTimeAsync(300);
    first.dispose();

    const reloaded = editor();
    await reloaded.ready;
    await settle();
    expect(reloaded.getSnapshot()).toMatchObject({ status: 'offline-draft', draft: { body: 'written on the train', baseVersion: 1 } });

    server.down = false;
    net.set(true);
    await settle();
    expect(reloaded.getSnapshot()).toMatchObject({ status: 'held', draft: null, note: { version: 2, body: 'written on the train' } });
    expect(saves()).toBe(1);
    expect(await new NoteDrafts(storage).list()).toEqual([]);
  });

  test('a note changed since the draft: both texts shown; keep mine saves it, take theirs drops it', async () => {
    net.online = false;
    const e = editor();
    await e.ready;
    await e.acquire();
    e.edit('Plan', 'mine');
    await vi.advanceTimersByTimeAsync(300);
    server.saveAs(noteId, bob, { title: 'Plan', body: 'theirs' });
    net.set(true);
    await settle();
    expect(e.getSnapshot().conflict).toEqual({ theirs: { title: 'Plan', body: 'theirs', version: 2 }, yours: { title: 'Plan', body: 'mine', baseVersion: 1 } });
    expect(saves()).toBe(0);
    expect(await e.resolve('mine')).toBe(true);
    expect(e.getSnapshot()).toMatchObject({ conflict: null, draft: null, note: { version: 3, body: 'mine' } });

    // The other choice, on another note.
    noteId = server.seed('Other', 'base', ada).id;
    net.online = false;
    const f = editor();
    await f.ready;
    await f.acquire();
    f.edit('Other', 'my version');
    server.saveAs(noteId, bob, { title: 'Other', body: 'their version' });
    net.set(true);
    await settle();
    expect(f.getSnapshot().conflict?.theirs.body).toBe('their version');
    await f.resolve('theirs');
    expect(f.getSnapshot()).toMatchObject({ conflict: null, draft: null, note: { body: 'their version' } });
    expect(await new NoteDrafts(storage).get('acme', noteId)).toBeUndefined();
  });

  test('renewals failing for a network reason retry until expiresAt: a short outage keeps the lock, a long one becomes a draft', async () => {
    const e = editor();
    await e.acquire();
    server.down = true;
    await vi.advanceTimersByTimeAsync(LOCK_MS * 0.7);
    server.down = false;
    await vi.advanceTimersByTimeAsync(LOCK_MS * 2);
    expect(e.getSnapshot().status).toBe('held');

    e.edit('Plan', 'typed while the network went away');
    server.down = true;
    await vi.advanceTimersByTimeAsync(LOCK_MS * 2);
    expect(e.getSnapshot()).toMatchObject({ status: 'offline-draft', draft: { body: 'typed while the network went away' } });
  });

  test('hiding the page releases the lock; showing it takes it again', async () => {
    const page = new FakePage();
    const e = editor(ada, { page });
    await e.acquire();
    for (const l of page.hide) l();
    await settle();
    expect(e.getSnapshot().status).toBe('idle');
    expect(server.rows.get(noteId)!.lock).toBeNull();
    for (const l of page.show) l();
    await settle();
    expect(e.getSnapshot().status).toBe('held');
  });

  test('cancel drops the draft and releases', async () => {
    const e = editor();
    await e.acquire();
    e.edit('Plan', 'never mind');
    await e.cancel();
    expect(e.getSnapshot()).toMatchObject({ status: 'idle', draft: null });
    expect(server.rows.get(noteId)!.lock).toBeNull();
    expect(await new NoteDrafts(storage).list()).toEqual([]);
  });
});
