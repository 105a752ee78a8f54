import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ClientStorage } from './storage.ts';

/**
 * A JSON file for Node programs whose outbox must survive a crash. Each write replaces the
 * file atomically (write a temporary file, then rename), and writes are serialized.
 *
 * @example
 * ```ts
 * import { fileStorage } from '@parley/client/file-storage';
 * const client = createParleyClient({ url, token, WebSocket, storage: fileStorage('./bot-state.json') });
 * ```
 */
export function fileStorage(path: string): ClientStorage {
  // One read shared by every caller: two reads racing would each keep their own copy, and
  // what was set in one copy would be lost when the other is written.
  let cache: Promise<Record<string, unknown>> | null = null;
  let writing: Promise<void> = Promise.resolve();

  const read = async (): Promise<Record<string, unknown>> => {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return {};
    }
  };
  const load = (): Promise<Record<string, unknown>> => {
    cache ??= read().catch((error: unknown) => {
      cache = null;
      throw error;
    });
    return cache;
  };
  const persist = (data: Record<string, unknown>): Promise<void> => {
    const text = JSON.stringify(data);
    const write = writing.then(async () => {
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, text);
      await rename(tmp, path);
    });
    // A failed write is reported to its caller; the writes queued after it must still run.
    writing = write.catch(() => {});
    return write;
  };

  return {
    async get<T>(key: string) {
      const data = await load();
      return data[key] === undefined ? undefined : (structuredClone(data[key]) as T);
    },
    async set(key, value) {
      const data = await load();
      data[key] = structuredClone(value);
      await persist(data);
    },
    async delete(key) {
      const data = await load();
      delete data[key];
      await persist(data);
    },
    async clear() {
      const data = await load();
      for (const key of Object.keys(data)) delete data[key];
      await persist(data);
    },
  };
}
