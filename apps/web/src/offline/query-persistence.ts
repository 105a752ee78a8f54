import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import { createAsyncStoragePersister } from '@tanstack/query-async-storage-persister';
import { partialMatchKey, type DehydratedState, type Query } from '@tanstack/react-query';
import type { PersistedClient, PersistQueryClientOptions, Persister } from '@tanstack/react-query-persist-client';
import { getQueryKey } from '@trpc/react-query';
import { trpc, type Me } from '../lib/trpc.ts';

/** A saved cache older than this is dropped rather than shown. */
export const PERSIST_MAX_AGE_MS = 7 * 24 * 60 * 60_000;
/** Saving serializes the whole cache: at most once a second, with the latest state. */
const WRITE_THROTTLE_MS = 1_000;
/** One entry: the cache of the person last signed in on this device (its auth.me says who). */
const CACHE_KEY = 'session';

const AUTH_ME_KEY = getQueryKey(trpc.auth.me);
const MESSAGE_LIST_KEY = getQueryKey(trpc.message.list);

let defaultStore: UseStore | undefined;
/**
 * Opened at first use, not at import (idb-keyval opens the database in `createStore`, and
 * throws where there is no IndexedDB at all).
 */
function queryCacheStore(): UseStore | undefined {
  if (typeof indexedDB === 'undefined') return undefined;
  return (defaultStore ??= createStore('parley-web', 'query-cache'));
}

/** Where there is no IndexedDB, Parley works as before: online only. */
function notSaved(buildId: string): QueryPersistence {
  const persister: Persister = { persistClient: () => undefined, restoreClient: () => undefined, removeClient: () => undefined };
  return { persistOptions: { persister, buster: buildId }, close: () => undefined, forget: async () => undefined };
}

/**
 * Every query holding data, also one whose last refetch failed (TanStack's default keeps only
 * successes): a server that is down for a minute must not erase the rooms that open offline.
 * Not messages: `@parley/client` keeps them in its own store, with the outbox; a second copy
 * here would be large and could disagree with it.
 */
export function shouldPersistQuery(query: Query): boolean {
  return query.state.data !== undefined && !partialMatchKey(query.queryKey, MESSAGE_LIST_KEY);
}

/**
 * Each query's last good data, saved as a success: not the failure that may have followed
 * (its error would not survive JSON anyway, and a restored error would show as one).
 */
function lastGoodData(client: PersistedClient): PersistedClient {
  const queries = client.clientState.queries.map((query) => ({
    ...query,
    state: { ...query.state, status: 'success' as const, error: null, fetchFailureCount: 0, fetchFailureReason: null, fetchStatus: 'idle' as const },
  }));
  return { ...client, clientState: { ...client.clientState, queries } };
}

/**
 * Whose cache this is, as `auth.me` answered: a user id, `null` when signed out, `undefined`
 * when `auth.me` has not answered yet.
 */
export function cacheOwner(state: DehydratedState): string | null | undefined {
  const me = state.queries.find((query) => partialMatchKey(query.queryKey, AUTH_ME_KEY));
  const data = me?.state.data as Me | null | undefined;
  return data === undefined ? undefined : data === null ? null : data.id;
}

export interface QueryPersistenceOptions {
  /** Changes with every build (see main.tsx); a cache saved by another build is dropped. */
  buildId: string;
  /**
   * Restore the saved cache into this session. Only a page load's first session does: the
   * browser cannot tell offline whose cookie it holds, so it assumes the last person who used
   * it here. After a sign-in the new person's data comes from the server.
   */
  restore: boolean;
  store?: UseStore;
  throttleMs?: number;
}

/** One session's side of the saved cache; made with the session's clients. */
export interface QueryPersistence {
  /** For `<PersistQueryClientProvider persistOptions>`. */
  persistOptions: Omit<PersistQueryClientOptions, 'queryClient'>;
  /** Stops saving (the session's clients are being replaced). */
  close(): void;
  /** Stops saving and deletes the saved cache: at sign-out, before the next session starts. */
  forget(): Promise<void>;
}

/**
 * Saves the TanStack Query cache (auth.me, partition.list, room.list, …, not messages) to
 * IndexedDB, so a phone that opens Parley offline shows its workspaces and rooms.
 *
 * One person's data never reaches another's session: only the first session of a page load
 * restores; signing out deletes the cache; a cache whose `auth.me` answers null (the session
 * ended) is deleted; and so is the cache of a session whose `auth.me` comes to name someone
 * else (another tab signed in as someone else), which then stops saving.
 */
export function createQueryPersistence({
  buildId,
  restore,
  store = queryCacheStore(),
  throttleMs = WRITE_THROTTLE_MS,
}: QueryPersistenceOptions): QueryPersistence {
  if (!store) return notSaved(buildId);
  /** The person this session's cache belongs to, once known. */
  let owner: string | undefined;
  let closed = false;

  const saved = createAsyncStoragePersister({
    storage: {
      getItem: async (key) => (await get<string>(key, store)) ?? null,
      // `closed` is read synchronously before `set` asks for its transaction: once `forget` has
      // asked for its delete, no write lands after it (one store's transactions run in order).
      setItem: (key, value) => (closed ? undefined : set(key, value, store)),
      removeItem: (key) => del(key, store),
    },
    key: CACHE_KEY,
    throttleTime: throttleMs,
    // JSON (the default) loses nothing: tRPC sends JSON. A failed write is not retried.
    retry: ({ error }) => {
      // Private browsing, or storage full: Parley still works, only not offline.
      console.warn('Parley could not save its cache for offline use.', error);
      return undefined;
    },
  });

  const close = () => {
    closed = true;
  };

  const forget = () => {
    close();
    return del(CACHE_KEY, store);
  };

  const persister: Persister = {
    persistClient(client) {
      if (closed) return;
      const user = cacheOwner(client.clientState);
      // auth.me has not answered yet: nothing says whose this is.
      if (user === undefined) return;
      // Signed out, or the session ended: what was saved must not open offline.
      if (user === null) return forget();
      // Someone else signed in (in another tab): this cache now mixes two people's data, and
      // what was saved is not the signed-in person's. Their own tab saves theirs.
      if (owner !== undefined && owner !== user) return forget();
      owner = user;
      return saved.persistClient(lastGoodData(client));
    },
    async restoreClient() {
      if (!restore) return undefined;
      const client = await saved.restoreClient();
      owner = client ? (cacheOwner(client.clientState) ?? undefined) : undefined;
      return client;
    },
    // Called when the saved cache is too old or from another build: it was not restored.
    removeClient() {
      owner = undefined;
      return saved.removeClient();
    },
  };

  return {
    persistOptions: {
      persister,
      buster: buildId,
      maxAge: PERSIST_MAX_AGE_MS,
      // Paused mutations would come back without their function; sends have their own outbox.
      dehydrateOptions: { shouldDehydrateQuery: shouldPersistQuery, shouldDehydrateMutation: () => false },
    },
    close,
    forget,
  };
}
