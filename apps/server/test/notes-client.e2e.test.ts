import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { createParleyClient, manualNetwork, type NoteEditor, type ParleyClient } from '@parley/client';
import { fileStorage } from '@parley/client/file-storage';
import type { ParleyNode } from '../src/node.ts';
import { signUp, sleep, startTestNode, until } from './helpers.ts';

/**
 * `@parley/client`'s notes against a real node with a short lock (1.5 s): the lock helper keeps
 * it alive past its length, refuses the second person with the holder's name, is fenced by a
 * force-unlock, and saves an offline draft once after a reload, or shows the conflict.
 */

const LOCK_MS = 1500;
const partitionId = 'notesco';

describe('notes through @parley/client against a real node', () => {
  let dir: string;
  let node: ParleyNode;
  let ada: Awaited<ReturnType<typeof signUp>>;
  let bob: Awaited<ReturnType<typeof signUp>>;
  const clients: ParleyClient[] = [];
  const editors: NoteEditor[] = [];

  const client = (token: string, opts: { state?: string; network?: ReturnType<typeof manualNetwork> } = {}) => {
    const c = createParleyClient({
      url: node.url,
      token,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      storage: opts.state ? fileStorage(join(dir, opts.state)) : undefined,
      network: opts.network,
    });
    clients.push(c);
    return c;
  };
  const editor = (c: ParleyClient, noteId: string) => {
    const e = c.notes.editor(partitionId, noteId, { page: null });
    editors.push(e);
    return e;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-notes-client-'));
    node = await startTestNode({ dataDir: join(dir, 'data'), api: { noteLockMs: LOCK_MS, noteLockSweepMs: 500 } });
    ada = await signUp(node.url, 'ada');
    bob = await signUp(node.url, 'bob');
    const { inviteCode } = await ada.client.trpc.partition.create.mutate({ id: partitionId, name: 'Notes Co' });
    await bob.client.trpc.partition.join.mutate({ inviteCode });
  });
  afterAll(async () => {
    for (const e of editors) e.dispose();
    await sleep(100);
    for (const c of clients) await c.close();
    await ada?.client.close();
    await bob?.client.close();
    await node?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a renewed lock outlives its length; the second person is refused with the holder; save, release, then they get it', async () => {
    const a = client(ada.token);
    const b = client(bob.token);
    b.notes.watch(partitionId);
    const note = await a.notes.create({ partitionId, title: 'Plan', body: 'first' });
    const mine = editor(a, note.id);
    expect(await mine.acquire()).toBe(true);
    await sleep(LOCK_MS * 3);
    expect(mine.getSnapshot().status).toBe('held');

    const theirs = editor(b, note.id);
    expect(await theirs.acquire()).toBe(false);
    expect(theirs.getSnapshot()).toMatchObject({ status: 'idle', lockedBy: { holder: { userId: ada.user.id } } });
    expect(theirs.getSnapshot().error).toMatch(/is editing this note until/);

    mine.edit('Plan', 'second');
    expect(await mine.save()).toBe(true);
    expect(mine.getSnapshot().note).toMatchObject({ version: 2, body: 'second' });
    await until(
      () => b.notes.getNote(partitionId, note.id),
      (n) => n?.body === 'second',
    );
    await mine.release();
    await until(
      () => b.notes.getNote(partitionId, note.id),
      (n) => n?.lock === null,
    );
    expect(await theirs.acquire()).toBe(true);
    await theirs.release();
  });

  test('a force-unlocked holder goes to lost with its text kept, and nothing of it is written', async () => {
    const a = client(ada.token);
    const b = client(bob.token);
    b.notes.watch(partitionId);
    const note = await a.notes.create({ partitionId, title: 'Fenced', body: 'base' });
    const bobs = editor(b, note.id);
    expect(await bobs.acquire()).toBe(true);
    bobs.edit('Fenced', 'bob was typing');
    await a.notes.forceUnlock(partitionId, note.id);
    await until(
      () => bobs.getSnapshot().status,
      (s) => s === 'lost',
      10_000,
    );
    expect(bobs.getSnapshot().draft).toMatchObject({ body: 'bob was typing', baseVersion: 1 });
    expect((await a.trpc.note.get.query({ partitionId, noteId: note.id })).body).toBe('base');
    // Retry: takes the lock again and, as nobody saved meanwhile, saves the kept text.
    expect(await bobs.save()).toBe(true);
    expect(bobs.getSnapshot()).toMatchObject({ status: 'held', draft: null });
    expect((await a.trpc.note.get.query({ partitionId, noteId: note.id })).body).toBe('bob was typing');
    await bobs.release();
  });

  test('offline: a draft survives a reload and is saved once back online; a note changed meanwhile shows the conflict', async () => {
    const note = await ada.client.trpc.note.create.mutate({ partitionId, title: 'Train', body: 'before' });
    const other = await ada.client.trpc.note.create.mutate({ partitionId, title: 'Other', body: 'before' });
    const network = manualNetwork(true);
    const first = client(bob.token, { state: 'bob.json', network });
    first.notes.watch(partitionId);
    await first.notes.loadNote(partitionId, note.id);
    await first.notes.loadNote(partitionId, other.id);
    network.set(false);
    for (const [id, text] of [
      [note.id, 'written offline'],
      [other.id, 'mine offline'],
    ] as const) {
      const e = editor(first, id);
      expect(await e.acquire()).toBe(false);
      expect(e.getSnapshot().status).toBe('offline-draft');
      e.edit(id === note.id ? 'Train' : 'Other', text);
      e.dispose();
    }
    await first.close();
    // Meanwhile Ada changes the other note.
    const { token } = await ada.client.trpc.note.lock.mutate({ partitionId, noteId: other.id });
    await ada.client.trpc.note.save.mutate({ partitionId, noteId: other.id, token, body: 'theirs meanwhile', release: true });

    const reloaded = client(bob.token, { state: 'bob.json' });
    expect(await reloaded.noteDrafts.list(partitionId)).toHaveLength(2);
    const saved = editor(reloaded, note.id);
    const conflicted = editor(reloaded, other.id);
    await until(
      () => saved.getSnapshot(),
      (s) => s.status === 'held' && s.draft === null,
      10_000,
    );
    expect(saved.getSnapshot().note).toMatchObject({ version: 2, body: 'written offline' });
    const history = await ada.client.trpc.note.history.query({ partitionId, noteId: note.id });
    expect(history.versions.map((v) => v.body)).toEqual(['written offline', 'before']);

    await until(
      () => conflicted.getSnapshot().conflict,
      (c) => c !== null,
      10_000,
    );
    expect(conflicted.getSnapshot().conflict).toEqual({
      theirs: { title: 'Other', body: 'theirs meanwhile', version: 2 },
      yours: { title: 'Other', body: 'mine offline', baseVersion: 1 },
    });
    expect(await conflicted.resolve('mine')).toBe(true);
    expect((await ada.client.trpc.note.get.query({ partitionId, noteId: other.id })).body).toBe('mine offline');
    expect(await reloaded.noteDrafts.list(partitionId)).toEqual([]);
  });
});
