import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createStore, type UseStore } from 'idb-keyval';
import { QueryClient, onlineManager, type QueryKey } from '@tanstack/react-query';
import { persistQueryClientRestore, persistQueryClientSave } from '@tanstack/react-query-persist-client';
import { getQueryKey } from '@trpc/react-query';
import { trpc, type Me } from '../lib/trpc.ts';
import { PERSIST_MAX_AGE_MS, createQueryPersistence, type QueryPersistence } from './query-persistence.ts';

const me = (id: string, displayName: string): Me => ({
  id,
  username: displayName.toLowerCase(),
  displayName,
  isAdmin: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  sessionExpiresAt: '2026-01-02T00:00:00.000Z',
  limits: { mediaMaxBytes: 25 * 1024 * 1024, avatarMaxBytes: 5 * 1024 * 1024 },
});
const ADA = me('0197a000-0000-7000-8000-00000000000a', 'Ada');
const BOB = me('0197a000-0000-7000-8000-00000000000b', 'Bob');

const keys = {
  me: getQueryKey(trpc.auth.me, undefined, 'query'),
  partitions: getQueryKey(trpc.partition.list, undefined, 'query'),
  rooms: getQueryKey(trpc.room.list, { partitionId: 'acme' }, 'query'),
  messages: getQueryKey(trpc.message.list, { partitionId: 'acme', roomId: 'general' }, 'query'),
  olderMessages: getQueryKey(trpc.message.list, { partitionId: 'acme', roomId: 'general' }, 'infinite'),
};

/** A session's cache as the app fills it: who is signed in, their workspaces, rooms, messages. */
function sessionCache(user: Me | null | undefined, workspace = 'Acme'): QueryClient {
  const queryClient = new QueryClient();
  if (user !== undefined) queryClient.setQueryData(keys.me, user);
  queryClient.setQueryData(keys.partitions, [{ id: 'acme', name: workspace, role: 'owner' }]);
  queryClient.setQueryData(keys.rooms, [{ id: 'general', name: 'general', joined: true }]);
  queryClient.setQueryData(keys.messages, { messages: [{ id: 'm1', body: 'hello' }], nextCursor: null });
  queryClient.setQueryData(keys.olderMessages, { pages: [], pageParams: [] });
  return queryClient;
}

let store: UseStore;

beforeEach(() => {
  // A new, empty IndexedDB for each test.
  globalThis.indexedDB = new IDBFactory();
  store = createStore('parley-web-test', 'query-cache');
});
afterEach(() => {
  vi.restoreAllMocks();
});

const persistence = (opts: { restore: boolean; buildId?: string; throttleMs?: number }) =>
  createQueryPersistence({ buildId: 'build-1', throttleMs: 0, store, ...opts });

async function save(session: QueryPersistence, queryClient: QueryClient) {
  await persistQueryClientSave({ queryClient, ...session.persistOptions });
}

/** What a fresh page load (build `buildId`) would show before asking the server anything. */
async function pageLoad(buildId = 'build-1'): Promise<QueryClient> {
  const queryClient = new QueryClient();
  const session = persistence({ restore: true, buildId });
  await persistQueryClientRestore({ queryClient, ...session.persistOptions });
  return queryClient;
}

const data = (queryClient: QueryClient, key: QueryKey) => queryClient.getQueryData(key);

describe('saving the query cache for offline use', () => {
  test('a page load restores who is signed in, their workspaces and rooms', async () => {
    await save(persistence({ restore: true }), sessionCache(ADA));

    const restored = await pageLoad();
    expect(data(restored, keys.me)).toEqual(ADA);
    expect(data(restored, keys.partitions)).toEqual([{ id: 'acme', name: 'Acme', role: 'owner' }]);
    expect(data(restored, keys.rooms)).toEqual([{ id: 'general', name: 'general', joined: true }]);
  });

  test('messages are left to @parley/client: no message.list entry is saved', async () => {
    await save(persistence({ restore: true }), sessionCache(ADA));

    const restored = await pageLoad();
    expect(data(restored, keys.messages)).toBeUndefined();
    expect(data(restored, keys.olderMessages)).toBeUndefined();
    expect(
      restored
        .getQueryCache()
        .getAll()
        .map((q) => q.queryKey[0]),
    ).toEqual([
      ['auth', 'me'],
      ['partition', 'list'],
      ['room', 'list'],
    ]);
  });

  test('a query whose refetch failed (server down) keeps its last data, restored as a success', async () => {
    const queryClient = sessionCache(ADA);
    await queryClient
      .fetchQuery({ queryKey: keys.rooms, queryFn: () => Promise.reject(new Error('Failed to fetch')), retry: false, staleTime: 0 })
      .catch(() => undefined);
    expect(queryClient.getQueryState(keys.rooms)?.status).toBe('error');

    await save(persistence({ restore: true }), queryClient);

    const restored = await pageLoad();
    expect(data(restored, keys.rooms)).toEqual([{ id: 'general', name: 'general', joined: true }]);
    expect(restored.getQueryState(keys.rooms)).toMatchObject({ status: 'success', error: null });
  });

  test('mutations waiting for the network are not saved (they would come back without their function)', async () => {
    const queryClient = sessionCache(ADA);
    onlineManager.setOnline(false);
    try {
      const mutation = queryClient.getMutationCache().build(queryClient, { mutationKey: ['partition', 'create'], mutationFn: async () => 'created' });
      void mutation.execute(undefined);
      await vi.waitFor(() => expect(mutation.state.isPaused).toBe(true));
      await save(persistence({ restore: true }), queryClient);
    } finally {
      onlineManager.setOnline(true);
    }

    const restored = await pageLoad();
    expect(data(restored, keys.partitions)).toBeDefined();
    expect(restored.getMutationCache().getAll()).toEqual([]);
  });

  test('nothing is saved before auth.me has answered: nothing says whose it is', async () => {
    await save(persistence({ restore: true }), sessionCache(undefined));

    expect((await pageLoad()).getQueryCache().getAll()).toEqual([]);
  });

  test('a cache saved by another build, or more than 7 days ago, is not restored', async () => {
    await save(persistence({ restore: true }), sessionCache(ADA));
    expect(data(await pageLoad('build-2'), keys.partitions)).toBeUndefined();
    // …and it was deleted, not just skipped.
    expect(data(await pageLoad('build-1'), keys.partitions)).toBeUndefined();

    await save(persistence({ restore: true }), sessionCache(ADA));
    const now = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(now + PERSIST_MAX_AGE_MS + 60_000);
    expect(data(await pageLoad(), keys.partitions)).toBeUndefined();
  });
});

describe("one person's data never shows for another", () => {
  test('signing out deletes the saved cache, and the session saves nothing after', async () => {
    const session = persistence({ restore: true });
    await save(session, sessionCache(ADA));

    await session.forget();
    await save(session, sessionCache(ADA));

    expect((await pageLoad()).getQueryCache().getAll()).toEqual([]);
  });

  test('a save still waiting for its turn does not land after sign-out', async () => {
    const session = persistence({ restore: true, throttleMs: 50 });
    await save(session, sessionCache(ADA, 'First'));
    // Throttled: this one is written 50 ms after the first.
    const pending = save(session, sessionCache(ADA, 'Second'));
    await session.forget();
    await pending;

    expect((await pageLoad()).getQueryCache().getAll()).toEqual([]);
  });

  test('a session started by signing in does not restore the previous person’s cache', async () => {
    await save(persistence({ restore: true }), sessionCache(ADA));

    const afterSignIn = new QueryClient();
    await persistQueryClientRestore({ queryClient: afterSignIn, ...persistence({ restore: false }).persistOptions });
    expect(afterSignIn.getQueryCache().getAll()).toEqual([]);
  });

  test('when auth.me answers null (the session ended), the saved cache is deleted', async () => {
    await save(persistence({ restore: true }), sessionCache(ADA));

    const session = persistence({ restore: true });
    const queryClient = new QueryClient();
    await persistQueryClientRestore({ queryClient, ...session.persistOptions });
    queryClient.setQueryData(keys.me, null);
    await save(session, queryClient);

    expect((await pageLoad()).getQueryCache().getAll()).toEqual([]);
  });

  test('when auth.me comes to name someone else, the mixed cache is deleted, not saved as theirs', async () => {
    await save(persistence({ restore: true }), sessionCache(ADA));

    const session = persistence({ restore: true });
    const queryClient = new QueryClient();
    await persistQueryClientRestore({ queryClient, ...session.persistOptions });
    // Bob signed in in another tab; this tab still holds Ada's workspaces.
    queryClient.setQueryData(keys.me, BOB);
    await save(session, queryClient);
    expect((await pageLoad()).getQueryCache().getAll()).toEqual([]);

    // …and this tab does not save again.
    await save(session, queryClient);
    expect((await pageLoad()).getQueryCache().getAll()).toEqual([]);
  });

  test('the next person to sign in saves their own cache over nothing of the last one', async () => {
    await save(persistence({ restore: true }), sessionCache(ADA, 'Ada’s workspace'));

    await save(persistence({ restore: false }), sessionCache(BOB, 'Bob’s workspace'));

    const restored = await pageLoad();
    expect(data(restored, keys.me)).toEqual(BOB);
    expect(data(restored, keys.partitions)).toEqual([{ id: 'acme', name: 'Bob’s workspace', role: 'owner' }]);
  });
});

test('without IndexedDB (some embedded browsers) nothing is saved or restored, and nothing throws', async () => {
  vi.stubGlobal('indexedDB', undefined);
  try {
    const session = createQueryPersistence({ buildId: 'build-1', restore: true });
    await save(session, sessionCache(ADA));
    const queryClient = new QueryClient();
    await persistQueryClientRestore({ queryClient, ...session.persistOptions });
    expect(queryClient.getQueryCache().getAll()).toEqual([]);
    await session.forget();
  } finally {
    vi.unstubAllGlobals();
  }
});
