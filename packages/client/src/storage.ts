import { clear, createStore, del, get, set } from 'idb-keyval';

/**
 * Where the client keeps what must survive a reload or a crash: the outbox and, per
 * partition, the last event id with the recent messages it covers. Values are plain JSON.
 * Scope one storage to one signed-in user (e.g. name the IndexedDB database after the user).
 */
export interface ClientStorage {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /** Forgets everything (signing out on a shared device). */
  clear(): Promise<void>;
}

/** Forgets everything with the process: the default in Node. */
export function memoryStorage(): ClientStorage & { readonly data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    async get<T>(key: string) {
      const raw = data.get(key);
      // Stored as text so a caller can never mutate what is "on disk".
      return raw === undefined ? undefined : (JSON.parse(raw) as T);
    },
    async set(key, value) {
      data.set(key, JSON.stringify(value));
    },
    async delete(key) {
      data.delete(key);
    },
    async clear() {
      data.clear();
    },
  };
}

/**
 * IndexedDB in the browser, through idb-keyval (one object store per database).
 *
 * @example
 * ```ts
 * const storage = indexedDbStorage(`parley-${me.id}`);
 * ```
 */
export function indexedDbStorage(databaseName: string): ClientStorage {
  const store = createStore(databaseName, 'kv');
  return {
    get: <T>(key: string) => get<T>(key, store),
    set: (key, value) => set(key, value, store),
    delete: (key) => del(key, store),
    clear: () => clear(store),
  };
}
