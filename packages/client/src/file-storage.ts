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
  let cache: Record<string, unknown> | null = null;
  let writing: Promise<void> = Promise.resolve();

  const load = async (): Promise<Record<string, unknown>> => {
    if (cache) return cache;
    try {
      cache = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      cache = {};
    }
    return cache;
  };
  const persist = () => {
    const text = JSON.stringify(cache);
    writing = writing.then(async () => {
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, text);
      await rename(tmp, path);
    });
    return writing;
  };

  return {
    async get<T>(key: string) {
      const data = await load();
      return data[key] === undefined ? undefined : (structuredClone(data[key]) as T);
    },
    async set(key, value) {
      const data = await load();
      data[key] = structuredClone(value);
      await persist();
    },
    async delete(key) {
      const data = await load();
      delete data[key];
      await persist();
    },
  };
}
