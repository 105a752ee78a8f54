import { QueryClient } from '@tanstack/react-query';
import { httpBatchLink, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import { getQueryKey } from '@trpc/react-query';
import { MAX_BATCH_CALLS, type AppRouter } from '@parley/client';
import { createQueryPersistence, type QueryPersistence, type QueryPersistenceOptions } from '../offline/query-persistence.ts';
import { errorCode, isPermanent } from './errors.ts';
import { trpc } from './trpc.ts';

export type TrpcClient = ReturnType<typeof trpc.createClient>;

export interface AppClients {
  queryClient: QueryClient;
  trpcClient: TrpcClient;
  /** Saves this session's query cache for offline use (`src/offline/`). */
  persistence: QueryPersistence;
  /** Stops saving the cache; the clients are not used again. */
  close(): Promise<void>;
}

/**
 * Unused queries stay (and so stay saved for offline use) this long: a workspace looked at
 * this morning still opens offline tonight. Below the saved cache's own 7-day limit, so a tab
 * left open for days does not keep every room's messages in memory.
 */
const QUERY_GC_TIME_MS = 24 * 60 * 60_000;

/**
 * An expired or revoked session shows up as UNAUTHORIZED on any call: re-ask `auth.me`, which
 * then answers null and brings back the sign-in screen. `auth.*` are skipped because a wrong
 * password is UNAUTHORIZED too.
 */
function unauthorizedLink(onUnauthorized: () => void): TRPCLink<AppRouter> {
  return () =>
    ({ op, next }) =>
      observable((observer) =>
        next(op).subscribe({
          next: (value) => observer.next(value),
          error: (error) => {
            if (errorCode(error) === 'UNAUTHORIZED' && !op.path.startsWith('auth.')) onUnauthorized();
            observer.error(error);
          },
          complete: () => observer.complete(),
        }),
      );
}

/**
 * Everything one signed-in session talks through. A new set is made at every sign-in and
 * sign-out: the cache must not carry one user's data into another's session. (The WebSocket,
 * which authenticates once with the cookie it had when it opened, belongs to the per-user
 * Parley client made in lib/parley-session.tsx.)
 */
export function createAppClients(origin: string, cache: QueryPersistenceOptions): AppClients {
  const queryClient = new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        gcTime: QUERY_GC_TIME_MS,
        // Saved data shows offline: one attempt is made, and its retries wait for the network.
        networkMode: 'offlineFirst',
        retry: (failures, error) => !isPermanent(error) && failures < 2,
      },
      mutations: { retry: false },
    },
  });
  const trpcClient = trpc.createClient({
    links: [
      unauthorizedLink(() => void queryClient.invalidateQueries({ queryKey: getQueryKey(trpc.auth.me) })),
      // Queries and mutations only: the live stream and sends go through @parley/client
      // (lib/parley-session.tsx), which owns the WebSocket, the outbox and the message store.
      httpBatchLink({ url: new URL('/trpc', origin).toString(), maxItems: MAX_BATCH_CALLS }),
    ],
  });
  const persistence = createQueryPersistence(cache);
  return {
    queryClient,
    trpcClient,
    persistence,
    async close() {
      persistence.close();
      queryClient.clear();
    },
  };
}
