import 'fake-indexeddb/auto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { fileStorage } from './file-storage.ts';
import { indexedDbStorage, memoryStorage, type ClientStorage } from './storage.ts';

const entry = (clientId: string) => ({ clientId, body: `message ${clientId}`, status: 'queued', author: { id: 'u1', name: 'Ada' } });

/** What every storage must do, whatever it keeps things in. */
function behavesLikeStorage(make: () => ClientStorage) {
  test('keeps JSON values by key, and forgets deleted ones', async () => {
    const storage = make();
    expect(await storage.get('outbox')).toBeUndefined();
    await storage.set('outbox', [entry('a'), entry('b')]);
    await storage.set('partition:acme', { v: 1, lastEventId: 7, rooms: {} });
    expect(await storage.get('outbox')).toEqual([entry('a'), entry('b')]);
    expect(await storage.get('partition:acme')).toEqual({ v: 1, lastEventId: 7, rooms: {} });
    await storage.delete('outbox');
    expect(await storage.get('outbox')).toBeUndefined();
    expect(await storage.get('partition:acme')).toEqual({ v: 1, lastEventId: 7, rooms: {} });
  });

  test('what is stored cannot be changed through the objects passed in or handed out', async () => {
    const storage = make();
    const value = [entry('a')];
    await storage.set('outbox', value);
    value.push(entry('b'));
    const read = await storage.get<ReturnType<typeof entry>[]>('outbox');
    read![0]!.body = 'changed';
    expect(await storage.get('outbox')).toEqual([entry('a')]);
  });
}

describe('memoryStorage', () => {
  behavesLikeStorage(() => memoryStorage());
});

describe('fileStorage', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-client-'));
    path = join(dir, 'state', 'bot.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  behavesLikeStorage(() => fileStorage(path));

  test('what was written survives a new instance (a restarted program)', async () => {
    const before = fileStorage(path);
    await before.set('outbox', [entry('a')]);
    await before.set('partition:acme', { v: 1, lastEventId: 3, rooms: {} });
    await before.delete('partition:acme');

    const after = fileStorage(path);
    expect(await after.get('outbox')).toEqual([entry('a')]);
    expect(await after.get('partition:acme')).toBeUndefined();
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ outbox: [entry('a')] });
  });

  test('replaces the file atomically: a reader never sees a half-written file, and no temporary file is left', async () => {
    const storage = fileStorage(path);
    await storage.set('outbox', []);
    const big = (n: number) => Array.from({ length: 2_000 }, (_, i) => entry(`${n}-${i}`));
    let writing = true;
    const writes = (async () => {
      for (let n = 0; n < 20; n += 1) await storage.set('outbox', big(n));
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      // Each read must parse: a truncated or empty file would throw here.
      const data = JSON.parse(await readFile(path, 'utf8')) as { outbox: unknown[] };
      expect([0, 2_000]).toContain(data.outbox.length);
      reads += 1;
    }
    await writes;
    expect(reads).toBeGreaterThan(0);
    expect(await readdir(join(dir, 'state'))).toEqual(['bot.json']);
    expect(await fileStorage(path).get('outbox')).toEqual(big(19));
  });

  test('concurrent sets are written one after the other: the last one wins', async () => {
    const storage = fileStorage(path);
    await Promise.all([1, 2, 3, 4, 5].map((n) => storage.set('outbox', [entry(String(n))])));
    expect(await storage.get('outbox')).toEqual([entry('5')]);
    expect(await fileStorage(path).get('outbox')).toEqual([entry('5')]);
  });

  test('concurrent sets of different keys on a fresh instance over an existing file keep them all', async () => {
    await fileStorage(path).set('partition:acme', { v: 1, lastEventId: 1, rooms: {} });
    const storage = fileStorage(path);
    await Promise.all([storage.set('outbox', [entry('a')]), storage.set('partition:beta', { v: 1, lastEventId: 2, rooms: {} })]);
    const reread = fileStorage(path);
    expect(await reread.get('outbox')).toEqual([entry('a')]);
    expect(await reread.get('partition:beta')).toEqual({ v: 1, lastEventId: 2, rooms: {} });
    expect(await reread.get('partition:acme')).toEqual({ v: 1, lastEventId: 1, rooms: {} });
  });

  test('a failed write is reported, and the writes after it still reach the disk', async () => {
    const storage = fileStorage(path);
    await storage.set('outbox', [entry('a')]);
    // The temporary file cannot be written while a directory has its name (as with a full disk).
    const tmp = `${path}.${process.pid}.tmp`;
    await mkdir(tmp);
    await expect(storage.set('outbox', [entry('b')])).rejects.toThrow();
    await rm(tmp, { recursive: true });

    await storage.set('outbox', [entry('c')]);
    expect(await fileStorage(path).get('outbox')).toEqual([entry('c')]);
  });

  test('a file that is not JSON is an error, not an empty store that would overwrite it', async () => {
    await fileStorage(path).set('outbox', []);
    await writeFile(path, '{ not json');
    const storage = fileStorage(path);
    await expect(storage.get('outbox')).rejects.toThrow(SyntaxError);
    await expect(storage.set('outbox', [entry('a')])).rejects.toThrow(SyntaxError);
    expect(await readFile(path, 'utf8')).toBe('{ not json');
  });
});

describe('indexedDbStorage', () => {
  let n = 0;
  const name = () => `parley-test-${(n += 1)}`;

  behavesLikeStorage(() => indexedDbStorage(name()));

  test('what was written survives a new instance on the same database (a reload)', async () => {
    const db = name();
    await indexedDbStorage(db).set('outbox', [entry('a')]);
    expect(await indexedDbStorage(db).get('outbox')).toEqual([entry('a')]);
  });

  test('databases of different users are separate', async () => {
    const ada = indexedDbStorage(name());
    const bob = indexedDbStorage(name());
    await ada.set('outbox', [entry('a')]);
    expect(await bob.get('outbox')).toBeUndefined();
  });

  test('concurrent sets: the last one wins', async () => {
    const db = name();
    const storage = indexedDbStorage(db);
    await Promise.all([1, 2, 3].map((i) => storage.set('outbox', [entry(String(i))])));
    expect(await indexedDbStorage(db).get('outbox')).toEqual([entry('3')]);
  });
});
