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
  /** Values may be (or hold) Blobs, kept as they are (IndexedDB, memory): an attachment waiting to go. */
  readonly keepsBlobs?: boolean;
}

/** Forgets everything with the process: the default in Node. */
export function memoryStorage(): ClientStorage & { readonly data: Map<string, string> } {
  const data = new Map<string, string>();
  // Blobs cannot change once made, so they are kept as they are (JSON would make them `{}`).
  const blobs = new Map<string, Blob>();
  return {
    data,
    keepsBlobs: true,
    async get<T>(key: string) {
      const blob = blobs.get(key);
      if (blob) return blob as T;
      const raw = data.get(key);
      // Stored as text so a caller can never mutate what is "on disk".
      return raw === undefined ? undefined : (JSON.parse(raw) as T);
    },
    async set(key, value) {
      blobs.delete(key);
      data.delete(key);
      if (value instanceof Blob) blobs.set(key, value);
      else data.set(key, JSON.stringify(value));
    },
    async delete(key) {
      data.delete(key);
      blobs.delete(key);
    },
    async clear() {
      data.clear();
      blobs.clear();
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
    keepsBlobs: true,
    get: <T>(key: string) => get<T>(key, store),
    set: (key, value) => set(key, value, store),
    delete: (key) => del(key, store),
    clear: () => clear(store),
  };
}
